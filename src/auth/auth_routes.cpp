#include "auth/auth_routes.hpp"

#include <sodium.h>

#include "common/error.hpp"
#include "common/random.hpp"
#include "db/timestamp.hpp"
#include "http/cookies.hpp"
#include "http/json.hpp"

namespace molvault::auth {
namespace {

constexpr std::string_view kAccessCookie = "access_token";
constexpr std::string_view kRefreshCookie = "refresh_token";
constexpr std::string_view kCsrfCookie = "csrf_token";
constexpr std::string_view kRefreshCookiePath = "/api/v1/auth";
constexpr std::size_t kMaxEmailBytes = 320;
constexpr std::size_t kMaxPasswordBytes = 1024;  // the policy allows 128 characters
constexpr std::size_t kMaxTokenBytes = 512;
constexpr std::size_t kCsrfTokenBytes = 32;

ClientInfo client_of(const http::Request& request) {
    return ClientInfo{
        request.client_ip,
        request.header("User-Agent").value_or(""),
        request.request_id,
    };
}

struct Credentials {
    std::string email;
    std::string password;
};

// The body of register and login: exactly {"email", "password"}, both strings.
Credentials credentials_of(const http::Request& request) {
    const auto body = http::parse_json_object(request);
    http::reject_unknown_fields(body, {"email", "password"});
    return {
        http::required_string(body, "email", kMaxEmailBytes),
        http::required_string(body, "password", kMaxPasswordBytes),
    };
}

nlohmann::json user_json(const User& user) {
    return {
        {"id", user.id.value},
        {"email", user.email},
        {"role", user.role},
        {"tier", user.tier},
        {"is_active", user.is_active},
        {"email_verified", user.email_verified},
        {"created_at", db::format_timestamp(user.created_at)},
    };
}

http::CookieOptions cookie_options(
    const CookiePolicy& policy, std::string path, std::chrono::seconds max_age, bool http_only
) {
    return http::CookieOptions{
        std::move(path), max_age, http_only, policy.secure, policy.same_site};
}

http::Response session_response(const Session& session, const CookiePolicy& policy) {
    const auto expires_in = std::chrono::duration_cast<std::chrono::seconds>(
        session.access_claims.expires_at - session.access_claims.issued_at
    );
    auto response = http::json_response(
        http::status::kOk,
        {{"access_token", session.access_token},
         {"token_type", "bearer"},
         {"expires_in", expires_in.count()},
         {"user", user_json(session.user)}}
    );
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(
            kAccessCookie, session.access_token, cookie_options(policy, "/", expires_in, true)
        )
    );
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(
            kRefreshCookie,
            session.refresh_token,
            cookie_options(policy, std::string(kRefreshCookiePath), policy.refresh_ttl, true)
        )
    );
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(
            kCsrfCookie,
            random_token(kCsrfTokenBytes),
            cookie_options(policy, "/", policy.refresh_ttl, false)
        )
    );
    return response;
}

void clear_cookies(http::Response& response, const CookiePolicy& policy) {
    const std::chrono::seconds expired{0};
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(kAccessCookie, "", cookie_options(policy, "/", expired, true))
    );
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(
            kRefreshCookie,
            "",
            cookie_options(policy, std::string(kRefreshCookiePath), expired, true)
        )
    );
    response.headers.add(
        "Set-Cookie",
        http::set_cookie_value(kCsrfCookie, "", cookie_options(policy, "/", expired, false))
    );
}

// The refresh token from the cookie, or from a JSON body {"refresh_token": ...} for API clients.
std::optional<std::string> refresh_token_of(const http::Request& request) {
    if (auto from_cookie = http::cookie(request, kRefreshCookie);
        from_cookie && !from_cookie->empty()) {
        return from_cookie;
    }
    if (request.body.empty()) {
        return std::nullopt;
    }
    const auto body = http::parse_json_object(request);
    http::reject_unknown_fields(body, {"refresh_token"});
    return http::required_string(body, "refresh_token", kMaxTokenBytes);
}

std::optional<std::string> bearer_token(const http::Request& request) {
    const auto header = request.header("Authorization");
    constexpr std::string_view kScheme = "Bearer ";
    if (!header || header->size() <= kScheme.size() ||
        !http::iequals(std::string_view(*header).substr(0, kScheme.size()), kScheme)) {
        return std::nullopt;
    }
    return header->substr(kScheme.size());
}

bool is_unsafe(const std::string& method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool same_secret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

const http::AuthContext& require_auth(const http::Request& request) {
    if (!request.auth) {
        throw Error(ErrorCode::kUnauthorized, "Sign in to use this resource");
    }
    return *request.auth;
}

http::Middleware authenticate(AuthService& auth) {
    return [&auth](http::Request& request, const http::Handler& next) {
        auto token = bearer_token(request);
        bool via_cookie = false;
        if (!token) {
            token = http::cookie(request, kAccessCookie);
            via_cookie = token.has_value();
        }
        if (token && !token->empty() && token->size() <= kMaxTokenBytes * 4) {
            if (auto caller = auth.authenticate(*token)) {
                request.auth = http::AuthContext{
                    caller->principal.id.value,
                    caller->principal.role,
                    caller->principal.tier,
                    caller->claims.jti,
                    via_cookie,
                };
            }
        }
        return next(request);
    };
}

http::Middleware csrf_protection() {
    return [](http::Request& request, const http::Handler& next) {
        const bool exempt =
            request.path == "/api/v1/auth/login" || request.path == "/api/v1/auth/register";
        const bool cookie_auth = !bearer_token(request) && (http::cookie(request, kAccessCookie) ||
                                                            http::cookie(request, kRefreshCookie));
        if (is_unsafe(request.method) && cookie_auth && !exempt) {
            const auto expected = http::cookie(request, kCsrfCookie);
            const auto given = request.header("X-CSRF-Token");
            if (!expected || expected->empty() || !given || !same_secret(*expected, *given)) {
                throw Error(
                    ErrorCode::kForbidden,
                    "Missing or invalid CSRF token: send the csrf_token cookie's value in "
                    "X-CSRF-Token"
                );
            }
        }
        return next(request);
    };
}

void add_auth_routes(http::Router& router, AuthService& auth, const CookiePolicy& cookies) {
    router.post("/api/v1/auth/register", [&auth](const http::Request& request) {
        const auto [email, password] = credentials_of(request);
        const auto user = auth.register_user(email, password, client_of(request));
        return http::json_response(http::status::kCreated, user_json(user));
    });

    router.post("/api/v1/auth/login", [&auth, cookies](const http::Request& request) {
        const auto [email, password] = credentials_of(request);
        return session_response(auth.login(email, password, client_of(request)), cookies);
    });

    router.post("/api/v1/auth/refresh", [&auth, cookies](const http::Request& request) {
        const auto token = refresh_token_of(request);
        if (!token) {
            throw Error(ErrorCode::kUnauthorized, "The session is invalid or has expired");
        }
        return session_response(auth.refresh(*token, client_of(request)), cookies);
    });

    router.post("/api/v1/auth/logout", [&auth, cookies](const http::Request& request) {
        std::optional<AccessClaims> access;
        if (request.auth) {
            // The denial needs to outlive the token, so its longest possible life is enough.
            const auto now = std::chrono::system_clock::now();
            access = AccessClaims{
                request.auth->user_id,
                request.auth->role,
                request.auth->jti,
                now,
                now + cookies.access_ttl};
        }
        auth.logout(refresh_token_of(request), access, client_of(request));
        http::Response response;
        response.status = http::status::kNoContent;
        clear_cookies(response, cookies);
        return response;
    });

    router.get("/api/v1/auth/me", [&auth](const http::Request& request) {
        const auto& caller = require_auth(request);
        return http::json_response(
            http::status::kOk, user_json(auth.current_user(UserId{caller.user_id}))
        );
    });
}

}  // namespace molvault::auth
