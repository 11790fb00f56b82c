#pragma once
// Structure: one parsed, sanitized molecule (RDKit underneath, hidden behind a pimpl so that no
// code outside src/chem/ compiles an RDKit header), with its identifiers and descriptors.
//
// Thread-safety: immutable and safe to share across threads by value or const&. Copies are cheap
// (they share one immutable molecule). RDKit caches computed properties inside even a const
// molecule, so each Structure serialises the RDKit calls made on it with a private mutex;
// different Structures never contend. InChI goes through one process-wide mutex (libinchi is not
// reentrant), so inchi()/inchikey() calls are serialised across all threads; their result is
// cached per Structure.
//
// Errors: parse_smiles / parse_molblock / from_pickle return ChemError for bad input (see
// chem_error.hpp) and never throw for it. The accessors do not fail for a parsed structure,
// except inchi()/inchikey(), which are std::nullopt where InChI cannot represent the molecule
// (dummy atoms, more than 1023 atoms, more than 20 bonds at one atom, ...). std::bad_alloc and
// RDKit invariant violations (bugs) propagate as exceptions.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chem/chem_error.hpp"
#include "common/expected.hpp"

namespace molvault::chem {

// A SMILES longer than this is refused (kTooLong) before RDKit sees it.
constexpr std::size_t kDefaultMaxSmilesLength = 10'000;
// One MOL/SDF record (V2000 or V3000); about 15,000 atoms' worth of text.
constexpr std::size_t kDefaultMaxMolblockLength = 1'000'000;

// A molecule with more heavy atoms is refused (kTooLong): RDKit's stereo perception, which
// every parse runs, takes time that grows with the cube of a chain's length (1,000 carbon
// atoms: under a second of CPU; 4,000: about a minute).
constexpr std::size_t kDefaultMaxAtoms = 1'000;

struct ParseOptions {
    std::size_t max_smiles_length = kDefaultMaxSmilesLength;
    std::size_t max_molblock_length = kDefaultMaxMolblockLength;
    std::size_t max_atoms = kDefaultMaxAtoms;
};

class Structure {
public:
    // RDKit's canonical isomeric SMILES (stereo and isotopes kept), as Chem.MolToSmiles gives.
    [[nodiscard]] std::string canonical_smiles() const;
    // Canonical SMILES after removing all stereo (atom and bond); isotopes and charges kept.
    // For exact search that ignores stereo (issue 6).
    [[nodiscard]] std::string no_stereo_smiles() const;
    // RDKit MolHash HetAtomTautomer: equal for tautomers that differ by moving H between
    // heteroatoms. For tautomer-insensitive exact search (issue 6).
    [[nodiscard]] std::string tautomer_hash() const;

    // Standard InChI (libinchi 1.03, "InChI=1S/...") and its key; std::nullopt where InChI
    // refuses the molecule (see the header comment).
    [[nodiscard]] std::optional<std::string> inchi() const;
    [[nodiscard]] std::optional<std::string> inchikey() const;

    [[nodiscard]] std::string formula() const;  // Hill order with charge, e.g. "C9H8O4"
    [[nodiscard]] double average_mass() const;  // g/mol, implicit H included (Descriptors.MolWt)
    [[nodiscard]] double exact_mass() const;    // monoisotopic (Descriptors.ExactMolWt)
    [[nodiscard]] int heavy_atom_count() const;
    [[nodiscard]] double clogp() const;         // Wildman-Crippen (Crippen.MolLogP)
    [[nodiscard]] double tpsa() const;          // Ertl, N and O only (CalcTPSA defaults)
    [[nodiscard]] int hbd() const;              // RDKit CalcNumHBD (not the Lipinski NHOH count)
    [[nodiscard]] int hba() const;              // RDKit CalcNumHBA (not the Lipinski NO count)
    [[nodiscard]] int rotatable_bonds() const;  // CalcNumRotatableBonds, RDKit's default rule

    // A MOL record for SDF export: V2000 (RDKit switches to V3000 above 999 atoms or bonds),
    // Kekulé form, with the molecule's own coordinates or newly computed 2D ones.
    [[nodiscard]] std::string molblock() const;

    // RDKit's binary pickle (no conformers, no properties): compact and a few microseconds to
    // read back. Binary-safe std::string; only meant for from_pickle of the same RDKit version.
    [[nodiscard]] std::string to_pickle() const;
    [[nodiscard]] static Expected<Structure, ChemError> from_pickle(std::string_view pickle);

private:
    struct Impl;                    // holds the RDKit molecule; chem/structure_impl.hpp
    friend struct StructureAccess;  // chem/ internals: build a Structure, reach its molecule

    explicit Structure(std::shared_ptr<const Impl> impl);

    std::shared_ptr<const Impl> impl_;
};

// Parses and sanitizes a SMILES (CXSMILES extensions allowed; text after a space is read as a
// name and ignored, as in RDKit). Refuses, before parsing: empty or blank input (kEmpty), more
// than options.max_smiles_length bytes (kTooLong), control and non-ASCII bytes (kSyntax); and
// before sanitizing, more than options.max_atoms heavy atoms (kTooLong).
[[nodiscard]] Expected<Structure, ChemError> parse_smiles(
    std::string_view smiles, const ParseOptions& options = {}
);

// Parses and sanitizes one MOL record (V2000 or V3000; a trailing "$$$$" and SDF data fields
// are ignored). Same errors as parse_smiles; tab, CR and LF are allowed, other control bytes
// are not. Explicit hydrogens are removed as RDKit does by default.
[[nodiscard]] Expected<Structure, ChemError> parse_molblock(
    std::string_view molblock, const ParseOptions& options = {}
);

}  // namespace molvault::chem
