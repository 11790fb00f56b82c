#pragma once
// The rules of the projects feature, with no HTTP in sight.
//
// * Names are trimmed of Unicode spaces, must then be 1..200 code points of valid UTF-8 and
//   may not contain control characters. Uniqueness is per owner and case-insensitive for A-Z
//   only (no ICU: other letters, and NFC/NFD spellings, compare exactly). Two owners may use
//   the same name.
// * Descriptions are stored as given (no trimming): valid UTF-8, at most 10,000 code points,
//   no control characters except tab, line feed and carriage return (a NUL could not even be
//   stored in PostgreSQL TEXT).
// * `standardize` is chosen at creation and never changes: the molecules already stored were
//   standardized (or not) under it, and their uniqueness in the project depends on that.
// * Every operation is scoped to the caller: a project owned by someone else is kNotFound,
//   exactly like one that does not exist. A malformed id is kValidation (field "project_id").
// * The number of projects per user is capped by tier (TierQuota; kForbidden naming the limit
//   when reached). The count and the insert share one transaction that first locks the
//   owner's user row, so concurrent creates cannot overshoot.
//
// Thread-safe: share one instance; the database must outlive it. Throws molvault::Error for
// request failures (kValidation, kNotFound, kConflict, kForbidden, kUnauthorized when the
// caller's account no longer exists); db:: errors propagate as faults.

#include <cstddef>
#include <optional>

#include "auth/user.hpp"
#include "common/tier_quota.hpp"
#include "db/database.hpp"
#include "projects/project.hpp"

namespace molvault::projects {

constexpr std::size_t kMaxNameLength = 200;            // code points, after trimming
constexpr std::size_t kMaxDescriptionLength = 10'000;  // code points

class ProjectService {
public:
    ProjectService(db::Database& db, TierQuota quota);

    Project create(const auth::UserId& owner, const NewProject& project);
    [[nodiscard]] Project get(const auth::UserId& owner, const ProjectId& id);
    // Up to `limit` (at least 1) projects after `after`, oldest first; `next` is set when more
    // follow. The caller bounds `limit` (the routes: http::kMaxPageSize).
    [[nodiscard]] ProjectPage list(
        const auth::UserId& owner, std::size_t limit, const std::optional<ProjectPosition>& after
    );
    // Throws kValidation when `changes` sets nothing.
    Project update(const auth::UserId& owner, const ProjectId& id, const ProjectChanges& changes);
    // The owner of any project, for operator commands that act on a user's behalf; kNotFound
    // when there is no such project.
    [[nodiscard]] auth::UserId owner_of(const ProjectId& id);
    // Deletes the project and (by cascade, in the same transaction) everything in it.
    void remove(const auth::UserId& owner, const ProjectId& id);

private:
    db::Database& db_;
    TierQuota quota_;
};

}  // namespace molvault::projects
