#pragma once
// chem/ internals: the RDKit side of Structure. Only src/chem/*.cpp include this header (it
// pulls in RDKit); everything else sees structure.hpp alone.
//
// Thread-safety: a Structure::Impl is shared read-only between threads, but RDKit writes
// cached properties (ring info, SMILES output order, Crippen and TPSA values) into even a
// const ROMol, so every use of `mol` goes through with_mol(), which holds the Impl's mutex.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <GraphMol/ROMol.h>
#include <GraphMol/RWMol.h>
#include <GraphMol/SanitException.h>

#include "chem/chem_error.hpp"
#include "chem/structure.hpp"
#include "common/expected.hpp"

namespace molvault::chem {

struct InchiResult {
    std::string inchi;
    std::string key;
};

struct Structure::Impl {
    explicit Impl(std::unique_ptr<RDKit::ROMol> molecule) : mol(std::move(molecule)) {}

    std::unique_ptr<RDKit::ROMol> mol;  // never null; use under `mutex`
    mutable std::mutex mutex;
    // Caches, filled on first use under `mutex`.
    mutable std::optional<std::string> canonical_smiles;
    mutable std::optional<std::optional<InchiResult>> inchi;
};

struct StructureAccess {
    // Takes ownership of a sanitized molecule.
    static Structure make(std::unique_ptr<RDKit::ROMol> mol) {
        return Structure(std::make_shared<const Structure::Impl>(std::move(mol)));
    }
    static const Structure::Impl& impl(const Structure& structure) { return *structure.impl_; }
};

// Runs fn(const RDKit::ROMol&) under the structure's lock and returns its result. fn must not
// call back into another accessor of the same Structure (the mutex is not recursive).
template <class Fn>
auto with_mol(const Structure& structure, Fn&& fn) {
    const auto& impl = StructureAccess::impl(structure);
    const std::lock_guard lock(impl.mutex);
    return std::forward<Fn>(fn)(static_cast<const RDKit::ROMol&>(*impl.mol));
}

// Maps RDKit's sanitization exceptions (valence, kekulization, ...) to a ChemError with RDKit's
// message and, where it names one, the atom index. Defined in structure.cpp.
[[nodiscard]] ChemError error_from_sanitize(const RDKit::MolSanitizeException& e);

// How parse_smiles_mol perceives stereochemistry: as RDKit's SmilesToMol does by default
// (kLegacy, what every Structure gets), or with RDKit's newer algorithm (kFast) where stereo
// does not matter: the legacy CIP ranking's time grows with the cube of a chain's length
// (2,000 carbon atoms: several seconds; 4,096: about a minute).
enum class StereoPerception { kLegacy, kFast };

// parse_smiles, giving the RDKit molecule itself (a search query, which no Structure needs).
// Defined in structure.cpp.
[[nodiscard]] Expected<std::unique_ptr<RDKit::RWMol>, ChemError> parse_smiles_mol(
    std::string_view smiles,
    const ParseOptions& options = {},
    StereoPerception stereo = StereoPerception::kLegacy
);

// Parses a SMARTS into an RDKit query molecule (not sanitized: SMARTS carries no valences).
// Refuses empty input, control and non-ASCII bytes and text longer than
// options.max_smiles_length as parse_smiles does; a syntax error is kSyntax with RDKit's message.
// Defined in structure.cpp.
[[nodiscard]] Expected<std::unique_ptr<RDKit::RWMol>, ChemError> parse_smarts(
    std::string_view smarts, const ParseOptions& options = {}
);

// Standard InChI and InChIKey through libinchi, or std::nullopt where InChI refuses the
// molecule. Serialised by a process-wide mutex (libinchi is not reentrant). Defined in inchi.cpp.
[[nodiscard]] std::optional<InchiResult> compute_inchi(const RDKit::ROMol& mol);

}  // namespace molvault::chem
