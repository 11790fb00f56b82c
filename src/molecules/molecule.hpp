#pragma once
// Value types of the molecules feature. Plain data: the service enforces the rules (ownership,
// name and property limits, chemistry computed by RDKit) before anything is stored.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "projects/project.hpp"

namespace molvault::molecules {

struct MoleculeId {
    std::string value;  // a canonical lower-case UUID once the service has checked it
    auto operator<=>(const MoleculeId&) const = default;
};

// Everything the server derives from a structure; a client can set none of it.
struct Chemistry {
    std::string input_canonical_smiles;  // the input as drawn
    std::string canonical_smiles;        // the stored form (standardized parent, or as drawn)
    std::string input_key;               // SHA-256 hex of input_canonical_smiles
    std::string structure_key;           // SHA-256 hex of canonical_smiles: unique per project
    bool standardized = false;           // standardization changed the input
    std::optional<std::string> inchi;    // nullopt where InChI cannot represent the structure
    std::optional<std::string> inchikey;
    std::string formula;
    double average_mass = 0;
    double exact_mass = 0;
    int heavy_atom_count = 0;
    double clogp = 0;
    double tpsa = 0;
    int hbd = 0;
    int hba = 0;
    int rotatable_bonds = 0;
    std::string pickle;  // RDKit binary form of the stored structure
    // The structure search index's entry for the stored form (chem::SearchIndex::entry_bytes),
    // stored so that instances load the index without fingerprinting. Not read back by the
    // molecule routes (empty in molecules read from the database).
    std::string search_entry;
};

struct Molecule {
    MoleculeId id;
    projects::ProjectId project_id;
    std::string name;        // trimmed; "" when the molecule has none
    std::string properties;  // a JSON object, serialized
    std::string smiles;      // the input as given (trimmed)
    Chemistry chemistry;
    db::Timestamp created_at;
    db::Timestamp updated_at;
};

// A partial update: only the fields that are set change.
struct MoleculeChanges {
    std::optional<std::string> name;
    std::optional<std::string> properties;  // a JSON object, serialized
};

enum class MoleculeSort { kCreatedAt, kName, kAverageMass };

struct MoleculeOrder {
    MoleculeSort sort = MoleculeSort::kCreatedAt;
    bool descending = false;
};

// A place in one project's listing: the sort column's value of the last item, and its id.
struct MoleculePosition {
    db::Value key;  // Timestamp, std::string (name) or double (average mass)
    MoleculeId id;
};

struct MoleculePage {
    std::vector<Molecule> items;
    std::optional<MoleculePosition> next;  // where the next page starts; nullopt on the last
};

}  // namespace molvault::molecules
