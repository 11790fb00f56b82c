#include "auth/auth_service.hpp"

#include <vector>

#include <sodium.h>

#include "audit/audit_log.hpp"
#include "auth/email.hpp"
#include "auth/user_repository.hpp"
#include "common/error.hpp"
#include "common/random.hpp"

namespace molvault::auth {
namespace {

constexpr std::string_view kLoginFailed = "Incorrect email or password";
constexpr std::string_view kSessionInvalid = "The session is invalid or has expired";
constexpr std::chrono::hours kRevokedTokenRetention{7 * 24};
constexpr std::string_view kSealContext = "molvault refresh successor v1";

db::Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

audit::AuditEvent event(
    std::string name,
    audit::Outcome outcome,
    const ClientInfo& client,
    std::optional<std::string> user_id = std::nullopt,
    nlohmann::json details = nlohmann::json::object()
) {
    return audit::AuditEvent{
        std::move(name),
        outcome,
        std::move(user_id),
        client.ip,
        client.user_agent,
        client.request_id,
        std::move(details),
    };
}

// A failed attempt has no transaction to join: it is recorded on its own.
void record_failure(
    db::Database& db,
    std::string name,
    const ClientInfo& client,
    std::optional<std::string> user_id,
    nlohmann::json details
) {
    audit::record(
        db,
        event(
            std::move(name),
            audit::Outcome::kFailure,
            client,
            std::move(user_id),
            std::move(details)
        )
    );
}

// An operator command's change, attributed to the command line rather than a client.
template <class Target>
void record_operator_action(
    Target& target,
    std::string name,
    std::string command,
    std::string user_id,
    nlohmann::json details = nlohmann::json::object()
) {
    audit::record(
        target,
        event(
            std::move(name),
            audit::Outcome::kSuccess,
            ClientInfo{"cli", std::move(command), ""},
            std::move(user_id),
            std::move(details)
        )
    );
}

std::string derive_sealing_key(const std::string& secret) {
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    crypto_generichash(
        reinterpret_cast<unsigned char*>(key.data()),
        key.size(),
        reinterpret_cast<const unsigned char*>(kSealContext.data()),
        kSealContext.size(),
        reinterpret_cast<const unsigned char*>(secret.data()),
        secret.size()
    );
    return key;
}

// Seals a successor token so that only this service can read it back: nonce || ciphertext,
// base64.
std::string seal(const std::string& key, const std::string& plaintext) {
    std::vector<unsigned char> box(
        crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size()
    );
    randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(
        box.data() + crypto_secretbox_NONCEBYTES,
        reinterpret_cast<const unsigned char*>(plaintext.data()),
        plaintext.size(),
        box.data(),
        reinterpret_cast<const unsigned char*>(key.data())
    );
    std::string encoded(
        sodium_base64_ENCODED_LEN(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0'
    );
    sodium_bin2base64(
        encoded.data(), encoded.size(), box.data(), box.size(), sodium_base64_VARIANT_ORIGINAL
    );
    encoded.resize(encoded.size() - 1);
    return encoded;
}

std::optional<std::string> unseal(const std::string& key, const std::string& sealed) {
    std::vector<unsigned char> box(sealed.size());
    std::size_t length = 0;
    if (sodium_base642bin(
            box.data(),
            box.size(),
            sealed.data(),
            sealed.size(),
            nullptr,
            &length,
            nullptr,
            sodium_base64_VARIANT_ORIGINAL
        ) != 0 ||
        length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        return std::nullopt;
    }
    std::string plaintext(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    if (crypto_secretbox_open_easy(
            reinterpret_cast<unsigned char*>(plaintext.data()),
            box.data() + crypto_secretbox_NONCEBYTES,
            length - crypto_secretbox_NONCEBYTES,
            box.data(),
            reinterpret_cast<const unsigned char*>(key.data())
        ) != 0) {
        return std::nullopt;
    }
    return plaintext;
}

Error unauthorized(std::string_view message) {
    return Error(ErrorCode::kUnauthorized, std::string(message));
}

}  // namespace

AuthService::AuthService(
    db::Database& db,
    const PasswordPolicy& policy,
    const PasswordHasher& hasher,
    HashingPool& hashing,
    const TokenService& tokens,
    AuthOptions options
)
    : db_(db),
      policy_(policy),
      hasher_(hasher),
      hashing_(hashing),
      tokens_(tokens),
      options_(std::move(options)),
      sealing_key_(derive_sealing_key(options_.sealing_secret)) {}

User AuthService::create_user(
    std::string_view email, std::string_view password, const std::string& role
) {
    const auto checked = check_email(email);
    std::vector<FieldError> problems;
    if (!checked.normalized) {
        problems.push_back({"email", checked.problem});
    }
    for (auto& problem : policy_.check(password, checked.trimmed)) {
        problems.push_back({"password", std::move(problem)});
    }
    if (!problems.empty()) {
        throw Error(ErrorCode::kValidation, "The request is invalid", std::move(problems));
    }
    User user;
    user.id = UserId{uuid_v4()};
    user.email = checked.trimmed;
    user.email_normalized = *checked.normalized;
    user.role = role;
    user.tier = "free";
    user.created_at = now();
    const std::string plain(password);
    user.hashed_password = hashing_.run([this, &plain] { return hasher_.hash(plain); });
    auto tx = db_.begin();
    try {
        user_repository::insert(tx, user);
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorCode::kConflict, "This email address cannot be registered");
    }
    tx.commit();
    return user;
}

User AuthService::register_user(
    std::string_view email, std::string_view password, const ClientInfo& client
) {
    try {
        auto user = create_user(email, password, "user");
        audit::record(db_, event("registration", audit::Outcome::kSuccess, client, user.id.value));
        return user;
    } catch (const Error& error) {
        if (error.code() == ErrorCode::kConflict) {
            record_failure(
                db_, "registration", client, std::nullopt, {{"reason", "duplicate_email"}}
            );
        }
        throw;
    }
}

Session AuthService::login(
    std::string_view email, std::string_view password, const ClientInfo& client
) {
    const auto checked = check_email(email);
    std::optional<User> user;
    if (checked.normalized) {
        user = user_repository::find_by_email(db_, *checked.normalized);
    }
    const std::string plain(password);
    Verification verification;
    if (user) {
        verification = hashing_.run([this, &plain, &user] {
            return hasher_.verify(plain, user->hashed_password);
        });
    } else {
        hashing_.run([this, &plain] { hasher_.verify_dummy(plain); });
    }
    const auto at = now();
    if (!user) {
        record_failure(db_, "login", client, std::nullopt, {{"reason", "unknown_email"}});
        throw unauthorized(kLoginFailed);
    }
    const bool locked = user->locked_until && *user->locked_until > at;
    if (locked || !user->is_active) {
        record_failure(
            db_, "login", client, user->id.value, {{"reason", locked ? "locked" : "inactive"}}
        );
        throw unauthorized(kLoginFailed);
    }
    if (!verification.ok) {
        const auto failed = user_repository::record_failed_login(
            db_, user->id, at, options_.lockout_threshold, options_.lockout_duration
        );
        record_failure(
            db_,
            "login",
            client,
            user->id.value,
            {{"reason", "bad_password"}, {"failed_attempts", failed.attempts}}
        );
        if (failed.locked_until && failed.attempts == options_.lockout_threshold) {
            audit::record(
                db_,
                event(
                    "account_locked",
                    audit::Outcome::kAlert,
                    client,
                    user->id.value,
                    {{"failed_attempts", failed.attempts},
                     {"locked_seconds", options_.lockout_duration.count()}}
                )
            );
        }
        throw unauthorized(kLoginFailed);
    }
    std::optional<std::string> rehashed;
    if (verification.needs_rehash) {
        rehashed = hashing_.run([this, &plain] { return hasher_.hash(plain); });
    }
    auto tx = db_.begin();
    user_repository::record_successful_login(tx, user->id, rehashed, at);
    auto session = start_session(tx, *user, client);
    audit::record(
        tx,
        event(
            "login",
            audit::Outcome::kSuccess,
            client,
            user->id.value,
            {{"password_upgraded", rehashed.has_value()}}
        )
    );
    tx.commit();
    return session;
}

Session AuthService::start_session(
    db::Transaction& tx, const User& user, const ClientInfo& client
) {
    auto refresh_token = new_refresh_token();
    const auto at = now();
    session_repository::insert(
        tx,
        {uuid_v4(),
         user.id,
         uuid_v4(),
         0,
         hash_refresh_token(refresh_token),
         at,
         at + options_.refresh_ttl,
         client.ip,
         client.user_agent}
    );
    return issue(user, std::move(refresh_token));
}

Session AuthService::issue(const User& user, std::string refresh_token) {
    auto access = tokens_.issue(user.id.value, user.role);
    return Session{
        std::move(access.token), std::move(access.claims), std::move(refresh_token), user};
}

// Everything, the failure events and the user lookup included, runs on the one transaction:
// a refresh holds a single pooled connection, so workers can never all hold one and wait for a
// second.
Session AuthService::refresh(std::string_view refresh_token, const ClientInfo& client) {
    const auto token_hash = hash_refresh_token(refresh_token);
    const auto at = now();
    auto successor = new_refresh_token();
    const auto successor_id = uuid_v4();
    auto tx = db_.begin();
    const auto claimed = session_repository::claim_for_rotation(
        tx, token_hash, successor_id, seal(sealing_key_, successor), at
    );
    std::optional<UserId> user_id;
    if (claimed) {
        session_repository::insert(
            tx,
            {successor_id,
             claimed->user_id,
             claimed->family_id,
             claimed->generation + 1,
             hash_refresh_token(successor),
             at,
             at + options_.refresh_ttl,
             client.ip,
             client.user_agent}
        );
        user_id = claimed->user_id;
    } else {
        const auto stored = session_repository::find_by_hash(tx, token_hash);
        if (!stored) {
            audit::record(
                tx,
                event(
                    "refresh",
                    audit::Outcome::kFailure,
                    client,
                    std::nullopt,
                    {{"reason", "unknown_token"}}
                )
            );
            tx.commit();
            throw unauthorized(kSessionInvalid);
        }
        const bool rotated = stored->revoked_reason == "rotated" && stored->revoked_at;
        const bool within_grace = rotated && at - *stored->revoked_at <= options_.reuse_grace;
        std::optional<std::string> previous;
        if (within_grace && stored->replaced_by && stored->successor_box &&
            session_repository::is_live(tx, *stored->replaced_by, at)) {
            previous = unseal(sealing_key_, *stored->successor_box);
        }
        if (previous) {
            successor = std::move(*previous);
            user_id = stored->user_id;
        } else if (stored->revoked_reason == "rotated" || stored->revoked_reason == "reuse") {
            // A token that was rotated away (or whose family was already killed for that) is
            // being replayed: someone holds a copy. Tokens revoked by logout or an operator
            // are merely stale and fall through to a plain failure below.
            const auto revoked =
                session_repository::revoke_family(tx, stored->family_id, "reuse", at);
            audit::record(
                tx,
                event(
                    "token_theft_suspected",
                    audit::Outcome::kAlert,
                    client,
                    stored->user_id.value,
                    {{"family_id", stored->family_id}, {"revoked_sessions", revoked}}
                )
            );
            tx.commit();
            throw unauthorized(kSessionInvalid);
        } else {
            audit::record(
                tx,
                event(
                    "refresh",
                    audit::Outcome::kFailure,
                    client,
                    stored->user_id.value,
                    {{"reason", stored->revoked_at ? "revoked" : "expired"}}
                )
            );
            tx.commit();
            throw unauthorized(kSessionInvalid);
        }
    }
    const auto user = user_repository::find_by_id(tx, *user_id);
    if (!user || !user->is_active) {
        audit::record(
            tx,
            event(
                "refresh",
                audit::Outcome::kFailure,
                client,
                user_id->value,
                {{"reason", "inactive"}}
            )
        );
        tx.commit();
        throw unauthorized(kSessionInvalid);
    }
    tx.commit();
    return issue(*user, std::move(successor));
}

void AuthService::logout(
    const std::optional<std::string>& refresh_token,
    const std::optional<AccessClaims>& access,
    const ClientInfo& client
) {
    const auto at = now();
    std::optional<std::string> user_id;
    auto tx = db_.begin();
    if (refresh_token) {
        if (const auto stored =
                session_repository::find_by_hash(tx, hash_refresh_token(*refresh_token))) {
            session_repository::revoke_family(tx, stored->family_id, "logout", at);
            user_id = stored->user_id.value;
        }
    }
    if (access) {
        session_repository::deny_access_token(
            tx,
            access->jti,
            UserId{access->user_id},
            std::chrono::time_point_cast<std::chrono::microseconds>(access->expires_at)
        );
        user_id = access->user_id;
    }
    audit::record(tx, event("logout", audit::Outcome::kSuccess, client, user_id));
    tx.commit();
}

std::optional<Authenticated> AuthService::authenticate(std::string_view access_token) {
    auto claims = tokens_.verify(access_token);
    if (!claims) {
        return std::nullopt;
    }
    const auto access = user_repository::check_access(
        db_,
        UserId{claims->user_id},
        claims->jti,
        std::chrono::time_point_cast<std::chrono::microseconds>(claims->issued_at)
    );
    if (!access || !access->is_active || access->token_revoked) {
        return std::nullopt;
    }
    return Authenticated{
        Principal{UserId{claims->user_id}, access->role, access->tier}, std::move(*claims)};
}

User AuthService::current_user(const UserId& id) {
    auto user = user_repository::find_by_id(db_, id);
    if (!user) {
        throw Error(ErrorCode::kNotFound, "No such user");
    }
    return std::move(*user);
}

User AuthService::create_admin(std::string_view email, std::string_view password) {
    auto user = create_user(email, password, "admin");
    record_operator_action(db_, "admin_created", "molvault create-admin", user.id.value);
    return user;
}

std::optional<std::int64_t> AuthService::revoke_sessions(std::string_view email) {
    const auto checked = check_email(email);
    if (!checked.normalized) {
        return std::nullopt;
    }
    auto tx = db_.begin();
    const auto user = user_repository::find_by_email(tx, *checked.normalized);
    if (!user) {
        return std::nullopt;
    }
    const auto at = now();
    const auto revoked = session_repository::revoke_user(tx, user->id, "admin", at);
    // JWTs carry whole seconds: tokens issued earlier in this second survive, so that a
    // sign-in right after the revocation is not refused.
    user_repository::revoke_access_tokens(
        tx,
        user->id,
        std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::floor<std::chrono::seconds>(at)
        )
    );
    record_operator_action(
        tx,
        "sessions_revoked",
        "molvault revoke-sessions",
        user->id.value,
        {{"revoked_sessions", revoked}}
    );
    tx.commit();
    return revoked;
}

std::optional<User> AuthService::set_tier(std::string_view email, std::string_view tier) {
    if (!is_valid_tier(tier)) {
        throw validation_error("tier", "must be one of free, pro, enterprise");
    }
    const auto checked = check_email(email);
    if (!checked.normalized) {
        return std::nullopt;
    }
    auto tx = db_.begin();
    auto user = user_repository::find_by_email(tx, *checked.normalized);
    if (!user) {
        return std::nullopt;
    }
    const std::string previous = user->tier;
    user->tier = std::string(tier);
    user_repository::set_tier(tx, user->id, user->tier, now());
    record_operator_action(
        tx,
        "tier_changed",
        "molvault set-tier",
        user->id.value,
        {{"from", previous}, {"to", user->tier}}
    );
    tx.commit();
    return user;
}

session_repository::CleanupCounts AuthService::cleanup() {
    const auto at = now();
    auto tx = db_.begin();
    const auto counts =
        session_repository::cleanup(tx, at, at - kRevokedTokenRetention, at - options_.reuse_grace);
    tx.commit();
    return counts;
}

}  // namespace molvault::auth
