#pragma once
// SQL for refresh_tokens and revoked_access_tokens, one function per statement. Stateless; runs
// on the transaction or database it is given; db:: errors propagate.

#include <optional>
#include <string>

#include "auth/user.hpp"
#include "db/database.hpp"

namespace molvault::auth::session_repository {

struct NewRefreshToken {
    std::string id;
    UserId user_id;
    std::string family_id;
    int generation = 0;
    std::string token_hash;
    db::Timestamp created_at;
    db::Timestamp expires_at;
    std::string ip;
    std::string user_agent;
};
void insert(db::Transaction& tx, const NewRefreshToken& token);

// Atomically marks the live, unexpired token with this hash as rotated to `successor_id`,
// storing the sealed successor. Returns the rotated token's user, family and generation, or
// nullopt when no live token matched (unknown, expired, or already revoked).
struct Rotated {
    UserId user_id;
    std::string family_id;
    int generation = 0;
};
[[nodiscard]] std::optional<Rotated> claim_for_rotation(
    db::Transaction& tx,
    const std::string& token_hash,
    const std::string& successor_id,
    const std::string& successor_box,
    db::Timestamp now
);

// Everything about a token, for deciding why it could not be rotated.
struct StoredToken {
    std::string id;
    UserId user_id;
    std::string family_id;
    db::Timestamp expires_at;
    std::optional<db::Timestamp> revoked_at;
    std::optional<std::string> revoked_reason;
    std::optional<std::string> replaced_by;
    std::optional<std::string> successor_box;
};
[[nodiscard]] std::optional<StoredToken> find_by_hash(
    db::Transaction& tx, const std::string& token_hash
);
// True when the token with this id is live (not revoked, not expired).
[[nodiscard]] bool is_live(db::Transaction& tx, const std::string& id, db::Timestamp now);

// Revokes every live token of a family; returns how many.
std::int64_t revoke_family(
    db::Transaction& tx, const std::string& family_id, const std::string& reason, db::Timestamp now
);
// Revokes every live token of a user; returns how many.
std::int64_t revoke_user(
    db::Transaction& tx, const UserId& user_id, const std::string& reason, db::Timestamp now
);

// Puts an access token id on the denylist until it would have expired.
void deny_access_token(
    db::Transaction& tx, const std::string& jti, const UserId& user_id, db::Timestamp expires_at
);

struct CleanupCounts {
    std::int64_t refresh_tokens = 0;
    std::int64_t denied_access_tokens = 0;
    std::int64_t sealed_successors = 0;
};
// Deletes tokens expired or revoked before `revoked_before`, denylist entries past their
// expiry, and clears sealed successors older than `seal_before`.
[[nodiscard]] CleanupCounts cleanup(
    db::Transaction& tx, db::Timestamp now, db::Timestamp revoked_before, db::Timestamp seal_before
);

}  // namespace molvault::auth::session_repository
