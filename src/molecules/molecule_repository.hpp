#pragma once
// SQL for the molecules table, one function per statement. Stateless; every function runs on
// the transaction or database it is given. Reads of single molecules are scoped to the owner
// (through the project), so another user's molecule is indistinguishable from a missing one;
// listing and writes take a project the service has already checked (and locked, for writes).
// Throws db::UniqueViolation on a second molecule with the same structure key in one project,
// and other db:: errors as they come. Ids must be canonical UUIDs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "db/database.hpp"
#include "molecules/molecule.hpp"
#include "projects/project.hpp"

namespace molvault::molecules::molecule_repository {

// What a write needs to know about the project it goes into.
struct LockedProject {
    bool standardize = true;
    std::int64_t molecule_count = 0;
    std::string owner_tier;
};

// Locks the owner's project row until the transaction ends (PostgreSQL: FOR UPDATE; SQLite's
// transaction already holds the write lock). nullopt when the owner has no such project.
[[nodiscard]] std::optional<LockedProject> lock_project(
    db::Transaction& tx, const projects::ProjectId& project, const auth::UserId& owner
);

// Adds `delta` to the project's molecule_count.
void add_to_count(db::Transaction& tx, const projects::ProjectId& project, std::int64_t delta);

// The molecule of `project` with this structure key, if any.
[[nodiscard]] std::optional<MoleculeId> find_by_structure(
    db::Transaction& tx, const projects::ProjectId& project, const std::string& structure_key
);

void insert(db::Transaction& tx, const Molecule& molecule);

[[nodiscard]] std::optional<Molecule> find(
    db::Database& db, const MoleculeId& id, const auth::UserId& owner
);

// Up to `limit` molecules of `project` in `order`, starting after `after` (from the beginning
// when nullopt). The key of `after` must have the sort column's type.
[[nodiscard]] std::vector<Molecule> list(
    db::Database& db,
    const projects::ProjectId& project,
    const MoleculeOrder& order,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
);

// Up to `limit` molecules of `project` after `after` in id order, for export.
[[nodiscard]] std::vector<Molecule> list_by_id(
    db::Database& db,
    const projects::ProjectId& project,
    const std::optional<MoleculeId>& after,
    std::size_t limit
);

// Molecules of the owner's projects whose stored form has the structure key `key` or whose
// input as drawn had it (input_key), in (created_at, id) order after `after`, at most `limit`.
[[nodiscard]] std::vector<Molecule> find_by_key(
    db::Database& db,
    const auth::UserId& owner,
    const std::string& key,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
);
// As find_by_key, for molecules whose stored form has this InChIKey.
[[nodiscard]] std::vector<Molecule> find_by_inchikey(
    db::Database& db,
    const auth::UserId& owner,
    const std::string& inchikey,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
);

// Applies the set fields of `changes` and sets updated_at. nullopt when the owner has no such
// molecule.
[[nodiscard]] std::optional<Molecule> update(
    db::Transaction& tx,
    const MoleculeId& id,
    const auth::UserId& owner,
    const MoleculeChanges& changes,
    db::Timestamp now
);

// Deletes the molecule of `project`; false when it has no such molecule.
[[nodiscard]] bool remove(
    db::Transaction& tx, const projects::ProjectId& project, const MoleculeId& id
);

}  // namespace molvault::molecules::molecule_repository
