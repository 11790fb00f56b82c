#pragma once
// Access tokens (JWT, HS256, libjwt) and refresh-token helpers.
// Access tokens carry iss, aud, sub (user id), iat, exp, jti and role. verify() checks the
// signature with the algorithm pinned to HS256 (libjwt 1.10 would accept other HMAC algorithms
// and has no claim validation), then iss, aud (a string equal to ours), exp with a small leeway,
// iat not in the future, and the presence of sub and jti. Any failure is std::nullopt: bad
// tokens are input, not faults. Thread-safe: immutable after construction.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace molvault::auth {

struct AccessClaims {
    std::string user_id;  // sub
    std::string role;
    std::string jti;
    std::chrono::system_clock::time_point issued_at;
    std::chrono::system_clock::time_point expires_at;
};

struct TokenOptions {
    std::string secret;  // JWT_SECRET_KEY, at least 32 bytes
    std::string issuer = "molvault";
    std::string audience = "molvault-api";
    std::chrono::seconds access_ttl{15 * 60};
    std::chrono::seconds leeway{30};
};

class TokenService {
public:
    // Throws std::invalid_argument if the secret is shorter than 32 bytes.
    explicit TokenService(TokenOptions options);

    struct Issued {
        std::string token;
        AccessClaims claims;
    };
    [[nodiscard]] Issued issue(const std::string& user_id, const std::string& role) const;
    [[nodiscard]] std::optional<AccessClaims> verify(std::string_view token) const;

    [[nodiscard]] const TokenOptions& options() const { return options_; }

private:
    TokenOptions options_;
};

// A new opaque refresh token: 32 random bytes (256 bits), base64url.
[[nodiscard]] std::string new_refresh_token();
// The value stored for a refresh token: SHA-256, lower-case hex. Tokens are never stored raw.
[[nodiscard]] std::string hash_refresh_token(std::string_view token);

}  // namespace molvault::auth
