#include "auth/session_repository.hpp"

namespace molvault::auth::session_repository {
namespace {

constexpr db::Statement kInsert{
    "refresh_tokens.insert",
    "INSERT INTO refresh_tokens (id, user_id, family_id, generation, token_hash, created_at, "
    "expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
};

constexpr db::Statement kClaimForRotation{
    "refresh_tokens.claim_for_rotation",
    "UPDATE refresh_tokens SET revoked_at = $4, revoked_reason = 'rotated', replaced_by = $2, "
    "successor_box = $3 "
    "WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $4 "
    "RETURNING user_id, family_id, generation",
};

constexpr db::Statement kFindByHash{
    "refresh_tokens.find_by_hash",
    "SELECT id, user_id, family_id, expires_at, revoked_at, revoked_reason, replaced_by, "
    "successor_box FROM refresh_tokens WHERE token_hash = $1",
};

constexpr db::Statement kIsLive{
    "refresh_tokens.is_live",
    "SELECT 1 FROM refresh_tokens WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
};

constexpr db::Statement kRevokeFamily{
    "refresh_tokens.revoke_family",
    "UPDATE refresh_tokens SET revoked_at = $3, revoked_reason = $2 "
    "WHERE family_id = $1 AND revoked_at IS NULL",
};

constexpr db::Statement kRevokeUser{
    "refresh_tokens.revoke_user",
    "UPDATE refresh_tokens SET revoked_at = $3, revoked_reason = $2 "
    "WHERE user_id = $1 AND revoked_at IS NULL",
};

constexpr db::Statement kDenyAccessToken{
    "revoked_access_tokens.insert",
    "INSERT INTO revoked_access_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (jti) DO NOTHING",
};

constexpr db::Statement kDeleteOldRefreshTokens{
    "refresh_tokens.cleanup",
    "DELETE FROM refresh_tokens WHERE expires_at <= $1 OR revoked_at <= $2",
};
constexpr db::Statement kClearSealedSuccessors{
    "refresh_tokens.clear_sealed",
    "UPDATE refresh_tokens SET successor_box = NULL "
    "WHERE successor_box IS NOT NULL AND revoked_at <= $1",
};
constexpr db::Statement kDeleteExpiredDenials{
    "revoked_access_tokens.cleanup",
    "DELETE FROM revoked_access_tokens WHERE expires_at <= $1",
};

}  // namespace

void insert(db::Transaction& tx, const NewRefreshToken& token) {
    tx.execute(
        kInsert,
        {token.id,
         token.user_id.value,
         token.family_id,
         static_cast<std::int64_t>(token.generation),
         token.token_hash,
         token.created_at,
         token.expires_at,
         token.ip,
         token.user_agent}
    );
}

std::optional<Rotated> claim_for_rotation(
    db::Transaction& tx,
    const std::string& token_hash,
    const std::string& successor_id,
    const std::string& successor_box,
    db::Timestamp now
) {
    const auto result =
        tx.execute(kClaimForRotation, {token_hash, successor_id, successor_box, now});
    if (result.empty()) {
        return std::nullopt;
    }
    const auto& row = result.rows.front();
    return Rotated{UserId{row.text(0)}, row.text(1), static_cast<int>(row.integer(2))};
}

std::optional<StoredToken> find_by_hash(db::Transaction& tx, const std::string& token_hash) {
    const auto result = tx.execute(kFindByHash, {token_hash});
    if (result.empty()) {
        return std::nullopt;
    }
    const auto& row = result.rows.front();
    return StoredToken{
        row.text(0),
        UserId{row.text(1)},
        row.text(2),
        row.timestamp(3),
        row.optional_timestamp(4),
        row.optional_text(5),
        row.optional_text(6),
        row.optional_text(7),
    };
}

bool is_live(db::Transaction& tx, const std::string& id, db::Timestamp now) {
    return !tx.execute(kIsLive, {id, now}).empty();
}

std::int64_t revoke_family(
    db::Transaction& tx, const std::string& family_id, const std::string& reason, db::Timestamp now
) {
    return tx.execute(kRevokeFamily, {family_id, reason, now}).affected_rows;
}

std::int64_t revoke_user(
    db::Transaction& tx, const UserId& user_id, const std::string& reason, db::Timestamp now
) {
    return tx.execute(kRevokeUser, {user_id.value, reason, now}).affected_rows;
}

void deny_access_token(
    db::Transaction& tx, const std::string& jti, const UserId& user_id, db::Timestamp expires_at
) {
    tx.execute(kDenyAccessToken, {jti, user_id.value, expires_at});
}

CleanupCounts cleanup(
    db::Transaction& tx, db::Timestamp now, db::Timestamp revoked_before, db::Timestamp seal_before
) {
    CleanupCounts counts;
    counts.refresh_tokens =
        tx.execute(kDeleteOldRefreshTokens, {now, revoked_before}).affected_rows;
    counts.sealed_successors = tx.execute(kClearSealedSuccessors, {seal_before}).affected_rows;
    counts.denied_access_tokens = tx.execute(kDeleteExpiredDenials, {now}).affected_rows;
    return counts;
}

}  // namespace molvault::auth::session_repository
