#pragma once
// The rules of the molecules feature, with no HTTP in sight.
//
// * A structure comes as SMILES (trimmed of ASCII whitespace; inner whitespace is refused, since
//   RDKit would read the rest as a name) or as a MOL block, and is parsed and sanitized by RDKit;
//   what cannot be read is kValidation naming the problem (chem::ChemError: kind, message, atom
//   index). The project's `standardize` decides whether the stored form is the standardized
//   parent or the input as drawn (molecule_chemistry.hpp).
// * One structure per project: a second molecule with the same canonical SMILES (of the stored
//   form) is kConflict naming the existing molecule, enforced by a unique constraint.
// * Names are optional, trimmed, at most kMaxMoleculeNameLength code points, no control
//   characters. Properties are a JSON object of at most kMaxProperties user fields; keys are
//   labels (as names, at most kMaxPropertyKeyLength), values are strings (free text, at most
//   kMaxPropertyValueLength), finite numbers, booleans or null.
// * Every operation is scoped to the caller: a molecule or project owned by someone else is
//   kNotFound, exactly like one that does not exist. Malformed ids are kValidation.
// * Molecules per project are capped by the owner's tier (kForbidden naming the limit). Writes
//   lock the project row first, so concurrent adds cannot overshoot and cannot deadlock.
// * Chemistry (about 1-2 ms per molecule) is computed before the transaction starts, so no lock
//   is held while RDKit works; a bulk add spreads it over the cores.
//
// Thread-safe: share one instance; the database must outlive it. Throws molvault::Error for
// request failures; db:: errors propagate as faults.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/user.hpp"
#include "chem/chem_error.hpp"
#include "chem/structure.hpp"
#include "common/expected.hpp"
#include "common/tier_quota.hpp"
#include "db/database.hpp"
#include "molecules/molecule.hpp"
#include "projects/project.hpp"

namespace molvault::molecules {

constexpr std::size_t kMaxMoleculeNameLength = 1'000;
constexpr std::size_t kMaxProperties = 100;
constexpr std::size_t kMaxPropertyKeyLength = 100;
constexpr std::size_t kMaxPropertyValueLength = 10'000;
constexpr std::size_t kMaxBulkMolecules = 1'000;

// A structure as the client gave it.
struct StructureInput {
    enum Kind { kSmiles, kMolblock };
    Kind kind = kSmiles;
    std::string text;
};

struct NewMolecule {
    StructureInput structure;
    std::optional<std::string> name;
    std::optional<nlohmann::json> properties;  // must be an object when set
};

// Why one row of a bulk add was not inserted.
struct RowError {
    std::string code;  // "invalid_structure", "invalid_field", "duplicate_in_batch",
                       // "duplicate_in_project"
    std::string message;
    std::string field;                              // which input field, when one is to blame
    std::optional<chem::ChemError> chem;            // invalid_structure: what RDKit said
    std::optional<MoleculeId> existing;             // duplicate_in_project
    std::optional<std::size_t> duplicate_of_index;  // duplicate_in_batch: the first such row
};

struct BulkRowResult {
    std::optional<Molecule> molecule;  // set when inserted
    std::optional<RowError> error;     // set otherwise
};

struct BulkDeleteResult {
    std::vector<MoleculeId> deleted;
    std::vector<MoleculeId> not_found;
};

struct LookupPage {
    std::vector<Molecule> items;
    std::optional<MoleculePosition> next;
};

class MoleculeService {
public:
    // `quota`: molecules per project, by the owner's tier.
    MoleculeService(db::Database& db, TierQuota quota);

    Molecule add(
        const auth::UserId& owner, const projects::ProjectId& project, const NewMolecule& molecule
    );
    // Inserts the valid rows of `molecules` (at most kMaxBulkMolecules) in one transaction; the
    // result has one entry per input row, in order. The quota applies to the whole batch: if the
    // valid rows do not fit, nothing is inserted (kForbidden).
    std::vector<BulkRowResult> add_bulk(
        const auth::UserId& owner,
        const projects::ProjectId& project,
        const std::vector<NewMolecule>& molecules
    );
    [[nodiscard]] Molecule get(const auth::UserId& owner, const MoleculeId& id);
    // Up to `limit` (at least 1) molecules of the project in `order` after `after`.
    [[nodiscard]] MoleculePage list(
        const auth::UserId& owner,
        const projects::ProjectId& project,
        const MoleculeOrder& order,
        std::size_t limit,
        const std::optional<MoleculePosition>& after
    );
    // Changes name and/or properties (`properties` replaces the whole object). kValidation when
    // nothing is set.
    Molecule update(
        const auth::UserId& owner,
        const MoleculeId& id,
        const std::optional<std::string>& name,
        const std::optional<nlohmann::json>& properties
    );
    void remove(const auth::UserId& owner, const MoleculeId& id);
    // Deletes those of `ids` (at most kMaxBulkMolecules) that are in the project, in one
    // transaction; reports which were not there.
    BulkDeleteResult remove_bulk(
        const auth::UserId& owner,
        const projects::ProjectId& project,
        const std::vector<MoleculeId>& ids
    );

    // The caller's molecules with exactly this structure: stored so, or registered from this
    // form as drawn (a salt finds what was registered from that salt). kValidation for a SMILES
    // that cannot be read.
    [[nodiscard]] LookupPage lookup_smiles(
        const auth::UserId& owner,
        const std::string& smiles,
        std::size_t limit,
        const std::optional<MoleculePosition>& after
    );
    // The caller's molecules whose stored form has this InChIKey (27 characters, as InChI
    // writes them; kValidation otherwise).
    [[nodiscard]] LookupPage lookup_inchikey(
        const auth::UserId& owner,
        const std::string& inchikey,
        std::size_t limit,
        const std::optional<MoleculePosition>& after
    );

    // The owner's project (kNotFound when the owner has none with this id).
    [[nodiscard]] projects::Project owned_project(
        const auth::UserId& owner, const projects::ProjectId& project
    );
    // Up to `limit` molecules of the owner's project in id order after `after` (export).
    [[nodiscard]] std::vector<Molecule> export_batch(
        const auth::UserId& owner,
        const projects::ProjectId& project,
        const std::optional<MoleculeId>& after,
        std::size_t limit
    );

private:
    db::Database& db_;
    TierQuota quota_;
};

// The structure of `input`, parsed as the service parses it (a SMILES trimmed, inner whitespace
// refused), or why it cannot be read (code "invalid_structure").
[[nodiscard]] Expected<chem::Structure, RowError> parse_structure(const StructureInput& input);

// The chemistry of `input` as a project with this `standardize` would store it, or why it
// cannot be read (code "invalid_structure"). Stores nothing; thread-safe.
[[nodiscard]] Expected<Chemistry, RowError> validate_structure(
    const StructureInput& input, bool standardize
);

// The id in canonical form; kValidation naming `field` when it is not a UUID.
[[nodiscard]] MoleculeId checked_molecule_id(const MoleculeId& id, const char* field);

}  // namespace molvault::molecules
