#pragma once
// HTTP for the auth feature: /api/v1/auth/register, /login, /refresh, /logout, /me; the
// authentication middleware that resolves the caller from a Bearer token or the access_token
// cookie; and the CSRF double-submit check for cookie-authenticated unsafe requests.
// The service must outlive the router.

#include <chrono>
#include <string>

#include "auth/auth_service.hpp"
#include "http/router.hpp"

namespace molvault::auth {

struct CookiePolicy {
    bool secure = false;
    std::string same_site = "Lax";
    std::chrono::seconds access_ttl{15 * 60};
    std::chrono::seconds refresh_ttl{30 * 24 * 3600};
};

void add_auth_routes(http::Router& router, AuthService& auth, const CookiePolicy& cookies);

// Sets request.auth when a valid access token came with the request. Never refuses a request
// itself: routes that need a caller call require_auth().
[[nodiscard]] http::Middleware authenticate(AuthService& auth);

// Refuses (403) an unsafe request that carries an auth cookie and no Authorization header
// unless X-CSRF-Token equals the csrf_token cookie. Login and registration are exempt: they
// authenticate with the body.
[[nodiscard]] http::Middleware csrf_protection();

// The caller, or throws kUnauthorized.
[[nodiscard]] const http::AuthContext& require_auth(const http::Request& request);

}  // namespace molvault::auth
