#include "auth/token_service.hpp"

#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <jwt.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "common/random.hpp"
#include "common/sodium.hpp"

namespace molvault::auth {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMinSecretBytes = 32;
constexpr std::size_t kJtiBytes = 16;
constexpr std::size_t kRefreshTokenBytes = 32;
// Our tokens are ~350 bytes; anything far larger is refused before libjwt parses it.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;
// 9999-12-31T23:59:59Z: bounds NumericDate claims so time arithmetic cannot overflow.
constexpr std::int64_t kMaxEpochSeconds = 253'402'300'799;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const noexcept { jwt_free(jwt); }
};
using Jwt = std::unique_ptr<jwt_t, JwtDeleter>;

// Strings libjwt 1.10 hands to its caller (jwt_encode_str, jwt_get_grants_json) are malloc'd.
struct JwtStringDeleter {
    void operator()(char* text) const noexcept { std::free(text); }  // NOLINT(*-no-malloc)
};
using JwtString = std::unique_ptr<char, JwtStringDeleter>;

std::int64_t epoch_seconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_epoch_seconds(std::int64_t seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

std::optional<std::string> string_claim(const Json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_string()) {
        return std::nullopt;
    }
    return it->get<std::string>();
}

// A NumericDate claim: a whole number of seconds since the epoch, within [0, year 9999].
std::optional<std::int64_t> time_claim(const Json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_number_integer()) {
        return std::nullopt;
    }
    if (it->is_number_unsigned()) {
        const auto value = it->get<std::uint64_t>();
        if (value > static_cast<std::uint64_t>(kMaxEpochSeconds)) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(value);
    }
    const auto value = it->get<std::int64_t>();
    if (value < 0 || value > kMaxEpochSeconds) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

TokenService::TokenService(TokenOptions options) : options_(std::move(options)) {
    if (options_.secret.size() < kMinSecretBytes) {
        throw std::invalid_argument("JWT secret must be at least 32 bytes");
    }
    if (options_.secret.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("JWT secret is too long");
    }
    if (options_.issuer.empty() || options_.audience.empty()) {
        throw std::invalid_argument("JWT issuer and audience must not be empty");
    }
    ensure_sodium();
}

TokenService::Issued TokenService::issue(const std::string& user_id, const std::string& role)
    const {
    if (user_id.empty()) {
        throw std::invalid_argument("an access token needs a user id");
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    AccessClaims claims{
        .user_id = user_id,
        .role = role,
        .jti = random_token(kJtiBytes),
        .issued_at = now,
        .expires_at = now + options_.access_ttl,
    };
    const Json grants = {
        {"iss", options_.issuer},
        {"aud", options_.audience},
        {"sub", claims.user_id},
        {"role", claims.role},
        {"jti", claims.jti},
        {"iat", epoch_seconds(claims.issued_at)},
        {"exp", epoch_seconds(claims.expires_at)},
    };

    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        throw std::runtime_error("jwt_new failed");
    }
    const Jwt jwt(raw);
    const auto* key = reinterpret_cast<const unsigned char*>(options_.secret.data());  // NOLINT
    if (jwt_add_grants_json(jwt.get(), grants.dump().c_str()) != 0 ||
        jwt_set_alg(jwt.get(), JWT_ALG_HS256, key, static_cast<int>(options_.secret.size())) != 0) {
        throw std::runtime_error("cannot build the access token");
    }
    const JwtString encoded(jwt_encode_str(jwt.get()));
    if (!encoded) {
        throw std::runtime_error("cannot sign the access token");
    }
    return {.token = std::string(encoded.get()), .claims = std::move(claims)};
}

std::optional<AccessClaims> TokenService::verify(std::string_view token) const {
    if (token.empty() || token.size() > kMaxTokenBytes ||
        token.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string text(token);
    const auto* key = reinterpret_cast<const unsigned char*>(options_.secret.data());  // NOLINT
    jwt_t* raw = nullptr;
    const int status =
        jwt_decode(&raw, text.c_str(), key, static_cast<int>(options_.secret.size()));
    const Jwt jwt(raw);
    // libjwt checks the signature with whatever HMAC algorithm the header names: pin HS256.
    if (status != 0 || !jwt || jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
        return std::nullopt;
    }
    const JwtString grants_text(jwt_get_grants_json(jwt.get(), nullptr));
    if (!grants_text) {
        return std::nullopt;
    }
    const auto claims = Json::parse(grants_text.get(), nullptr, /*allow_exceptions=*/false);
    if (!claims.is_object()) {
        return std::nullopt;
    }

    const auto issuer = string_claim(claims, "iss");
    const auto audience = string_claim(claims, "aud");  // an array aud is refused
    const auto subject = string_claim(claims, "sub");
    const auto jti = string_claim(claims, "jti");
    const auto role = string_claim(claims, "role");
    const auto issued_at = time_claim(claims, "iat");
    const auto expires_at = time_claim(claims, "exp");
    if (issuer != options_.issuer || audience != options_.audience || !subject ||
        subject->empty() || !jti || jti->empty() || !role || !issued_at || !expires_at) {
        return std::nullopt;
    }

    const std::int64_t now = epoch_seconds(std::chrono::system_clock::now());
    const std::int64_t leeway = options_.leeway.count();
    if (now >= *expires_at + leeway || *issued_at > now + leeway) {
        return std::nullopt;
    }
    if (claims.contains("nbf")) {  // we never set it, but honour it if a token carries one
        const auto not_before = time_claim(claims, "nbf");
        if (!not_before || *not_before > now + leeway) {
            return std::nullopt;
        }
    }
    return AccessClaims{
        .user_id = *subject,
        .role = *role,
        .jti = *jti,
        .issued_at = from_epoch_seconds(*issued_at),
        .expires_at = from_epoch_seconds(*expires_at),
    };
}

std::string new_refresh_token() { return random_token(kRefreshTokenBytes); }

std::string hash_refresh_token(std::string_view token) { return sha256_hex(token); }

}  // namespace molvault::auth
