#pragma once
// SQL for the users table, one function per statement. Stateless; every function runs on the
// transaction or connection it is given. Throws db::UniqueViolation on a duplicate email and
// other db:: errors as they come.

#include <optional>
#include <string>

#include "auth/user.hpp"
#include "db/database.hpp"

namespace molvault::auth::user_repository {

void insert(db::Transaction& tx, const User& user);
[[nodiscard]] std::optional<User> find_by_email(db::Database& db, const std::string& normalized);
[[nodiscard]] std::optional<User> find_by_email(db::Transaction& tx, const std::string& normalized);
[[nodiscard]] std::optional<User> find_by_id(db::Database& db, const UserId& id);
[[nodiscard]] std::optional<User> find_by_id(db::Transaction& tx, const UserId& id);

// Role, tier and whether the user is active, plus whether the access token is revoked (its
// `jti` is on the denylist, or it was issued before an operator revoked the user's tokens);
// one round trip for the authentication of a request. nullopt when the user does not exist.
struct AccessCheck {
    std::string role;
    std::string tier;
    bool is_active = false;
    bool token_revoked = false;
};
[[nodiscard]] std::optional<AccessCheck> check_access(
    db::Database& db, const UserId& id, const std::string& jti, db::Timestamp issued_at
);

// Refuses from now on every access token of the user issued before `issued_before`.
void revoke_access_tokens(db::Transaction& tx, const UserId& id, db::Timestamp issued_before);

// Counts a failed login. The counter restarts after an expired lock; reaching `threshold` sets
// locked_until = now + lock. Returns the new count and lock.
struct FailedLogin {
    int attempts = 0;
    std::optional<db::Timestamp> locked_until;
};
[[nodiscard]] FailedLogin record_failed_login(
    db::Database& db, const UserId& id, db::Timestamp now, int threshold, std::chrono::seconds lock
);
void record_successful_login(
    db::Transaction& tx,
    const UserId& id,
    const std::optional<std::string>& new_hash,
    db::Timestamp now
);

// Locks the user's row until `tx` ends and returns their tier; nullopt when the user does not
// exist. Writers that must see a stable per-user count (quotas) take this lock first, so two
// of them for one user run one after the other. PostgreSQL: SELECT ... FOR UPDATE. SQLite has
// no row locks and needs none: Transaction's BEGIN IMMEDIATE already serialises every writer.
[[nodiscard]] std::optional<std::string> lock_tier(db::Transaction& tx, const UserId& id);

// Sets the user's tier (one of is_valid_tier(); the CHECK constraint refuses anything else).
void set_tier(db::Transaction& tx, const UserId& id, const std::string& tier, db::Timestamp now);

}  // namespace molvault::auth::user_repository
