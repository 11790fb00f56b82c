#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include "auth/token_service.hpp"

namespace molvault::auth {
namespace {

using Json = nlohmann::json;

constexpr const char* kSecret = "unit-test-jwt-secret-5d8a1f3c9e7b2a6d4f0c";

TokenOptions options(std::chrono::seconds ttl = std::chrono::seconds(900)) {
    TokenOptions o;
    o.secret = kSecret;
    o.access_ttl = ttl;
    o.leeway = std::chrono::seconds(30);
    return o;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

std::string base64url(std::string_view bytes) {
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
    sodium_bin2base64(
        out.data(),
        out.size(),
        reinterpret_cast<const unsigned char*>(bytes.data()),  // NOLINT: C API takes bytes
        bytes.size(),
        kVariant
    );
    out.pop_back();
    return out;
}

std::string hmac(std::string_view alg, std::string_view key, std::string_view message) {
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());      // NOLINT
    const auto* m = reinterpret_cast<const unsigned char*>(message.data());  // NOLINT
    if (alg == "HS256") {
        std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
        crypto_auth_hmacsha256_state state;
        crypto_auth_hmacsha256_init(&state, k, key.size());
        crypto_auth_hmacsha256_update(&state, m, message.size());
        crypto_auth_hmacsha256_final(
            &state, reinterpret_cast<unsigned char*>(mac.data())
        );  // NOLINT
        return mac;
    }
    std::string mac(crypto_auth_hmacsha512_BYTES, '\0');
    crypto_auth_hmacsha512_state state;
    crypto_auth_hmacsha512_init(&state, k, key.size());
    crypto_auth_hmacsha512_update(&state, m, message.size());
    crypto_auth_hmacsha512_final(&state, reinterpret_cast<unsigned char*>(mac.data()));  // NOLINT
    return mac;
}

// A JWT built without libjwt, so the tests can say exactly what goes into header and claims.
// alg "none" gets an empty signature; "HS256" and "HS512" are signed with `key`.
std::string craft_token(
    const Json& claims, std::string_view alg = "HS256", std::string_view key = kSecret
) {
    const Json header = {{"alg", alg}, {"typ", "JWT"}};
    const std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());
    const std::string signature = alg == "none" ? "" : base64url(hmac(alg, key, signing_input));
    return signing_input + "." + signature;
}

Json good_claims() {
    const auto now = now_seconds();
    return {
        {"iss", "molvault"},
        {"aud", "molvault-api"},
        {"sub", "user-42"},
        {"role", "member"},
        {"jti", "jti-0001"},
        {"iat", now},
        {"exp", now + 900},
    };
}

TEST(TokenService, VerifiesTheTokenItIssued) {
    const TokenService tokens(options());
    const auto issued = tokens.issue("user-42", "admin");
    const auto claims = tokens.verify(issued.token);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->user_id, "user-42");
    EXPECT_EQ(claims->role, "admin");
    EXPECT_EQ(claims->jti, issued.claims.jti);
    EXPECT_EQ(claims->issued_at, issued.claims.issued_at);
    EXPECT_EQ(claims->expires_at, issued.claims.issued_at + std::chrono::seconds(900));
}

TEST(TokenService, IssuesHs256TokensWithEveryRequiredClaim) {
    const TokenService tokens(options());
    const auto token = tokens.issue("user-42", "member").token;
    const auto first_dot = token.find('.');
    const auto second_dot = token.find('.', first_dot + 1);
    ASSERT_NE(second_dot, std::string::npos);
    const auto decode = [](std::string_view part) {
        std::string out(part.size(), '\0');
        std::size_t size = 0;
        sodium_base642bin(
            reinterpret_cast<unsigned char*>(out.data()),  // NOLINT
            out.size(),
            part.data(),
            part.size(),
            nullptr,
            &size,
            nullptr,
            sodium_base64_VARIANT_URLSAFE_NO_PADDING
        );
        out.resize(size);
        return Json::parse(out);
    };
    const auto header = decode(std::string_view(token).substr(0, first_dot));
    const auto claims =
        decode(std::string_view(token).substr(first_dot + 1, second_dot - first_dot - 1));
    EXPECT_EQ(header["alg"], "HS256");
    for (const char* name : {"iss", "aud", "sub", "role", "jti", "iat", "exp"}) {
        SCOPED_TRACE(name);
        EXPECT_TRUE(claims.contains(name));
    }
    EXPECT_EQ(claims["iss"], "molvault");
    EXPECT_EQ(claims["aud"], "molvault-api");
}

TEST(TokenService, GivesEveryTokenItsOwnJti) {
    const TokenService tokens(options());
    const auto first = tokens.issue("user-42", "member").claims.jti;
    const auto second = tokens.issue("user-42", "member").claims.jti;
    EXPECT_NE(first, second);
    EXPECT_GE(first.size(), 22U);  // 16 random bytes, base64url
}

TEST(TokenService, AcceptsAHandCraftedHs256Token) {
    // The control for the crafted tokens below: only the one thing each changes is wrong.
    const TokenService tokens(options());
    const auto claims = tokens.verify(craft_token(good_claims()));
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->user_id, "user-42");
    EXPECT_EQ(claims->role, "member");
    EXPECT_EQ(claims->jti, "jti-0001");
}

TEST(TokenService, RefusesATamperedSignatureOrPayload) {
    const TokenService tokens(options());
    const auto token = tokens.issue("user-42", "member").token;
    const auto signature_start = token.rfind('.') + 1;

    auto bad_signature = token;
    auto& c = bad_signature[signature_start + 5];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_FALSE(tokens.verify(bad_signature));

    auto claims = good_claims();
    claims["role"] = "admin";
    const auto forged = craft_token(claims);
    const auto forged_payload = forged.substr(0, forged.rfind('.'));
    EXPECT_FALSE(tokens.verify(forged_payload + token.substr(signature_start - 1)));

    EXPECT_FALSE(tokens.verify(token.substr(0, signature_start)));  // signature removed
}

TEST(TokenService, RefusesAnUnsignedAlgNoneToken) {
    const TokenService tokens(options());
    const auto token = craft_token(good_claims(), "none");
    ASSERT_EQ(token.back(), '.');
    EXPECT_FALSE(tokens.verify(token));
}

TEST(TokenService, RefusesAnHs512TokenSignedWithTheSameSecret) {
    const TokenService tokens(options());
    EXPECT_FALSE(tokens.verify(craft_token(good_claims(), "HS512")));
}

TEST(TokenService, RefusesATokenSignedWithAnotherSecret) {
    const TokenService tokens(options());
    EXPECT_FALSE(
        tokens.verify(craft_token(good_claims(), "HS256", "another-secret-of-32-bytes-or-more!!"))
    );
}

struct BadClaimsCase {
    std::string name;
    Json claims;
};

TEST(TokenService, RefusesTokensWithBadOrMissingClaims) {
    const auto now = now_seconds();
    const auto with = [](const char* name, const Json& value) {
        auto claims = good_claims();
        claims[name] = value;
        return claims;
    };
    const auto without = [](const char* name) {
        auto claims = good_claims();
        claims.erase(name);
        return claims;
    };
    const std::vector<BadClaimsCase> cases = {
        {"wrong audience", with("aud", "another-api")},
        {"audience as an array", with("aud", Json::array({"molvault-api"}))},
        {"missing audience", without("aud")},
        {"wrong issuer", with("iss", "someone-else")},
        {"missing issuer", without("iss")},
        {"expired beyond the leeway", with("exp", now - 60)},
        {"exp as a string", with("exp", std::to_string(now + 900))},
        {"exp as a fraction", with("exp", static_cast<double>(now) + 900.5)},
        {"exp beyond year 9999", with("exp", 999'999'999'999'999LL)},
        {"missing exp", without("exp")},
        {"issued in the future beyond the leeway", with("iat", now + 120)},
        {"negative iat", with("iat", -1)},
        {"missing iat", without("iat")},
        {"not valid before a future time", with("nbf", now + 120)},
        {"missing jti", without("jti")},
        {"empty jti", with("jti", "")},
        {"missing sub", without("sub")},
        {"empty sub", with("sub", "")},
        {"sub as a number", with("sub", 42)},
        {"missing role", without("role")},
    };
    const TokenService tokens(options());
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_FALSE(tokens.verify(craft_token(c.claims)));
    }
}

TEST(TokenService, AllowsClockSkewWithinTheLeeway) {
    const auto now = now_seconds();
    auto claims = good_claims();
    claims["exp"] = now - 10;
    claims["iat"] = now - 910;
    const TokenService tokens(options());
    EXPECT_TRUE(tokens.verify(craft_token(claims))) << "expired 10 s ago, leeway 30 s";
    claims = good_claims();
    claims["iat"] = now + 10;
    EXPECT_TRUE(tokens.verify(craft_token(claims))) << "issued 10 s ahead, leeway 30 s";
}

TEST(TokenService, RefusesItsOwnTokenOnceExpired) {
    const TokenService tokens(options(std::chrono::seconds(-60)));
    EXPECT_FALSE(tokens.verify(tokens.issue("user-42", "member").token));
}

TEST(TokenService, RefusesGarbage) {
    const TokenService tokens(options());
    const auto token = tokens.issue("user-42", "member").token;
    const std::vector<std::string> cases = {
        "",
        "garbage",
        "a.b.c",
        "..",
        "...",
        "Bearer " + token,
        token + ".",
        token + "x",
        " " + token,
        std::string(token).insert(10, 1, '\0'),
        std::string(20'000, 'a'),
        "eyJhbGciOiJIUzI1NiJ9.%%%%.sig",
        base64url("not json") + "." + base64url("{}") + ".",
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.substr(0, 60));
        EXPECT_FALSE(tokens.verify(c));
    }
}

TEST(TokenService, RefusesASecretShorterThan32Bytes) {
    auto short_secret = options();
    short_secret.secret = std::string(31, 'k');
    EXPECT_THROW(TokenService{short_secret}, std::invalid_argument);
    short_secret.secret = std::string(32, 'k');
    EXPECT_NO_THROW(TokenService{short_secret});
}

TEST(RefreshTokens, HashesToStableLowerCaseSha256Hex) {
    const auto hash = hash_refresh_token("abc");
    EXPECT_EQ(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hash_refresh_token("abc"), hash);
    const auto other = hash_refresh_token(new_refresh_token());
    EXPECT_EQ(other.size(), 64U);
    EXPECT_TRUE(std::all_of(other.begin(), other.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }));
}

TEST(RefreshTokens, AreLongRandomAndUrlSafe) {
    const auto first = new_refresh_token();
    const auto second = new_refresh_token();
    EXPECT_GE(first.size(), 43U);
    EXPECT_NE(first, second);
    EXPECT_TRUE(std::all_of(first.begin(), first.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    }));
}

}  // namespace
}  // namespace molvault::auth
