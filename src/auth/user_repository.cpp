#include "auth/user_repository.hpp"

#include <algorithm>
#include <array>

namespace molvault::auth::user_repository {
namespace {

constexpr db::Statement kInsert{
    "users.insert",
    "INSERT INTO users (id, email, email_normalized, hashed_password, role, tier, is_active, "
    "email_verified, failed_login_attempts, locked_until, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, NULL, $9, $9)",
};

#define MOLVAULT_USER_COLUMNS                                                               \
    "id, email, email_normalized, hashed_password, role, tier, is_active, email_verified, " \
    "failed_login_attempts, locked_until, created_at"

constexpr db::Statement kFindByEmail{
    "users.find_by_email",
    "SELECT " MOLVAULT_USER_COLUMNS " FROM users WHERE email_normalized = $1",
};
constexpr db::Statement kFindById{
    "users.find_by_id",
    "SELECT " MOLVAULT_USER_COLUMNS " FROM users WHERE id = $1",
};
#undef MOLVAULT_USER_COLUMNS

constexpr db::Statement kCheckAccess{
    "users.check_access",
    "SELECT role, tier, is_active, "
    "EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $2) "
    "OR COALESCE(tokens_valid_after > $3, false) "
    "FROM users WHERE id = $1",
};

constexpr db::Statement kRevokeAccessTokens{
    "users.revoke_access_tokens",
    "UPDATE users SET tokens_valid_after = $2, updated_at = $2 WHERE id = $1",
};

constexpr db::Statement kRecordFailedLogin{
    "users.record_failed_login",
    "UPDATE users SET "
    "failed_login_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 "
    "ELSE failed_login_attempts + 1 END, "
    "locked_until = CASE "
    "WHEN locked_until IS NOT NULL AND locked_until > $2 THEN locked_until "
    "WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 "
    "ELSE failed_login_attempts + 1 END) >= $3 THEN $4 "
    "ELSE NULL END, "
    "updated_at = $2 "
    "WHERE id = $1 RETURNING failed_login_attempts, locked_until",
};

constexpr db::Statement kRecordSuccess{
    "users.record_successful_login",
    "UPDATE users SET failed_login_attempts = 0, locked_until = NULL, "
    "hashed_password = COALESCE($2, hashed_password), updated_at = $3 WHERE id = $1",
};

constexpr db::Statement kLockTierPostgres{
    "users.lock_tier",
    "SELECT tier FROM users WHERE id = $1 FOR UPDATE",
};
// SQLite has no FOR UPDATE; the transaction already holds the database's write lock.
constexpr db::Statement kLockTierSqlite{
    "users.lock_tier",
    "SELECT tier FROM users WHERE id = $1",
};

constexpr db::Statement kSetTier{
    "users.set_tier",
    "UPDATE users SET tier = $2, updated_at = $3 WHERE id = $1",
};

User read_user(const db::Row& row) {
    User user;
    user.id = UserId{row.text(0)};
    user.email = row.text(1);
    user.email_normalized = row.text(2);
    user.hashed_password = row.text(3);
    user.role = row.text(4);
    user.tier = row.text(5);
    user.is_active = row.boolean(6);
    user.email_verified = row.boolean(7);
    user.failed_login_attempts = static_cast<int>(row.integer(8));
    user.locked_until = row.optional_timestamp(9);
    user.created_at = row.timestamp(10);
    return user;
}

std::optional<User> first_user(const db::Result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return read_user(result.rows.front());
}

}  // namespace

void insert(db::Transaction& tx, const User& user) {
    tx.execute(
        kInsert,
        {user.id.value,
         user.email,
         user.email_normalized,
         user.hashed_password,
         user.role,
         user.tier,
         user.is_active,
         user.email_verified,
         user.created_at}
    );
}

std::optional<User> find_by_email(db::Database& db, const std::string& normalized) {
    return first_user(db.execute(kFindByEmail, {normalized}));
}

std::optional<User> find_by_email(db::Transaction& tx, const std::string& normalized) {
    return first_user(tx.execute(kFindByEmail, {normalized}));
}

std::optional<User> find_by_id(db::Database& db, const UserId& id) {
    return first_user(db.execute(kFindById, {id.value}));
}

std::optional<User> find_by_id(db::Transaction& tx, const UserId& id) {
    return first_user(tx.execute(kFindById, {id.value}));
}

std::optional<AccessCheck> check_access(
    db::Database& db, const UserId& id, const std::string& jti, db::Timestamp issued_at
) {
    const auto result = db.execute(kCheckAccess, {id.value, jti, issued_at});
    if (result.empty()) {
        return std::nullopt;
    }
    const auto& row = result.rows.front();
    return AccessCheck{row.text(0), row.text(1), row.boolean(2), row.boolean(3)};
}

void revoke_access_tokens(db::Transaction& tx, const UserId& id, db::Timestamp issued_before) {
    tx.execute(kRevokeAccessTokens, {id.value, issued_before});
}

FailedLogin record_failed_login(
    db::Database& db, const UserId& id, db::Timestamp now, int threshold, std::chrono::seconds lock
) {
    const db::Timestamp lock_until = now + lock;
    const auto result = db.execute(
        kRecordFailedLogin, {id.value, now, static_cast<std::int64_t>(threshold), lock_until}
    );
    if (result.empty()) {
        return {};
    }
    const auto& row = result.rows.front();
    return {static_cast<int>(row.integer(0)), row.optional_timestamp(1)};
}

void record_successful_login(
    db::Transaction& tx,
    const UserId& id,
    const std::optional<std::string>& new_hash,
    db::Timestamp now
) {
    const db::Value hash = db::nullable_text(new_hash);
    tx.execute(kRecordSuccess, {id.value, hash, now});
}

std::optional<std::string> lock_tier(db::Transaction& tx, const UserId& id) {
    const auto& statement =
        tx.backend() == db::Backend::kPostgres ? kLockTierPostgres : kLockTierSqlite;
    const auto result = tx.execute(statement, {id.value});
    if (result.empty()) {
        return std::nullopt;
    }
    return result.rows.front().text(0);
}

void set_tier(db::Transaction& tx, const UserId& id, const std::string& tier, db::Timestamp now) {
    tx.execute(kSetTier, {id.value, tier, now});
}

}  // namespace molvault::auth::user_repository

namespace molvault::auth {

bool is_valid_role(std::string_view role) { return role == "user" || role == "admin"; }

bool is_valid_tier(std::string_view tier) {
    return tier == "free" || tier == "pro" || tier == "enterprise";
}

}  // namespace molvault::auth
