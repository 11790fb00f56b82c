#pragma once
// SQL for the projects table, one function per statement. Stateless; every function runs on
// the transaction or database it is given. Every lookup, update and delete is scoped to the
// owner, so another user's project is indistinguishable from a missing one. Throws
// db::UniqueViolation on a second project with the same name key for one owner, and other db::
// errors as they come. Ids must be canonical UUIDs (PostgreSQL refuses anything else).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "db/database.hpp"
#include "projects/project.hpp"

namespace molvault::projects::project_repository {

// `name_key` is the uniqueness key the service derives from the name.
void insert(db::Transaction& tx, const Project& project, const std::string& name_key);

[[nodiscard]] std::int64_t count_by_owner(db::Transaction& tx, const auth::UserId& owner);

[[nodiscard]] std::optional<Project> find(
    db::Database& db, const ProjectId& id, const auth::UserId& owner
);

// The owner of a project, whoever it is (for operator commands only).
[[nodiscard]] std::optional<auth::UserId> find_owner(db::Database& db, const ProjectId& id);

// Up to `limit` of the owner's projects in (created_at, id) order, starting after `after`
// (from the beginning when nullopt).
[[nodiscard]] std::vector<Project> list(
    db::Database& db,
    const auth::UserId& owner,
    const std::optional<ProjectPosition>& after,
    std::size_t limit
);

// Applies the set fields of `changes` (`name_key` must accompany a new name) and sets
// updated_at. Returns the updated project, or nullopt when the owner has no such project.
[[nodiscard]] std::optional<Project> update(
    db::Transaction& tx,
    const ProjectId& id,
    const auth::UserId& owner,
    const ProjectChanges& changes,
    const std::optional<std::string>& name_key,
    db::Timestamp now
);

// Deletes the project (its molecules go with it, by ON DELETE CASCADE). False when the owner
// has no such project.
[[nodiscard]] bool remove(db::Transaction& tx, const ProjectId& id, const auth::UserId& owner);

}  // namespace molvault::projects::project_repository
