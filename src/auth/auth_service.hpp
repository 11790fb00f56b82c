#pragma once
// Sign-up, sign-in and sessions: the rules of the auth feature, with no HTTP in sight.
// Passwords are hashed and verified on the HashingPool, outside any transaction and without
// holding a pooled connection. Login failures are one generic kUnauthorized whatever the cause
// (unknown email, wrong password, locked or inactive account), after the same hashing work.
// Refresh tokens rotate within a family; presenting a rotated token again within the grace
// window returns the same successor (two tabs, a lost response), after it revokes the family
// (theft). Thread-safe: share one instance; dependencies must outlive it.
// Throws molvault::Error for request failures; db:: errors propagate as faults.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/hashing_pool.hpp"
#include "auth/password_hasher.hpp"
#include "auth/password_policy.hpp"
#include "auth/session_repository.hpp"
#include "auth/token_service.hpp"
#include "auth/user.hpp"
#include "db/database.hpp"

namespace molvault::auth {

struct AuthOptions {
    int lockout_threshold = 5;
    std::chrono::seconds lockout_duration{15 * 60};
    std::chrono::seconds refresh_ttl{30 * 24 * 3600};
    std::chrono::seconds reuse_grace{10};
    std::string sealing_secret;  // derives the key that seals successors (JWT_SECRET_KEY)
};

// Where a request came from, for the audit trail.
struct ClientInfo {
    std::string ip;
    std::string user_agent;
    std::string request_id;
};

struct Session {
    std::string access_token;
    AccessClaims access_claims;
    std::string refresh_token;
    User user;
};

// An authenticated caller.
struct Authenticated {
    Principal principal;
    AccessClaims claims;
};

class AuthService {
public:
    AuthService(
        db::Database& db,
        const PasswordPolicy& policy,
        const PasswordHasher& hasher,
        HashingPool& hashing,
        const TokenService& tokens,
        AuthOptions options
    );

    // Throws kValidation (field errors for email and password) or kConflict.
    User register_user(std::string_view email, std::string_view password, const ClientInfo& client);
    // Throws kUnauthorized (always the same message), or kUnavailable when hashing is saturated.
    Session login(std::string_view email, std::string_view password, const ClientInfo& client);
    // Throws kUnauthorized for an unknown, expired or revoked token.
    Session refresh(std::string_view refresh_token, const ClientInfo& client);
    // Revokes the refresh token's family and denies the access token; either may be absent.
    void logout(
        const std::optional<std::string>& refresh_token,
        const std::optional<AccessClaims>& access,
        const ClientInfo& client
    );
    // nullopt for a bad, expired or revoked token, or an inactive or deleted user.
    [[nodiscard]] std::optional<Authenticated> authenticate(std::string_view access_token);
    // Throws kNotFound if the user no longer exists.
    [[nodiscard]] User current_user(const UserId& id);

    // Operator commands. create_admin enforces the password policy (kValidation) and refuses an
    // existing email (kConflict). revoke_sessions revokes every refresh token and every access
    // token issued before this second, and returns how many refresh tokens it revoked, or
    // nullopt when no user has that email.
    User create_admin(std::string_view email, std::string_view password);
    std::optional<std::int64_t> revoke_sessions(std::string_view email);
    // Gives the user a new tier (quotas and per-user rate limits follow at once) and records
    // `tier_changed`. Throws kValidation for a tier other than free, pro or enterprise; returns
    // nullopt when no user has that email.
    std::optional<User> set_tier(std::string_view email, std::string_view tier);
    session_repository::CleanupCounts cleanup();

private:
    User create_user(std::string_view email, std::string_view password, const std::string& role);
    Session start_session(db::Transaction& tx, const User& user, const ClientInfo& client);
    Session issue(const User& user, std::string refresh_token);

    db::Database& db_;
    const PasswordPolicy& policy_;
    const PasswordHasher& hasher_;
    HashingPool& hashing_;
    const TokenService& tokens_;
    AuthOptions options_;
    std::string sealing_key_;
};

}  // namespace molvault::auth
