#pragma once
// HTTP middleware that applies rate limits, built on any RateLimiter.
//
//  - route_rate_limit: per client IP, for named endpoints (login, register, refresh). It runs
//    before routing, so it matches request.method and request.path exactly; the router matches
//    literal segments exactly too, so no other spelling of a path reaches the same handler.
//  - user_rate_limit: per authenticated user, by tier, for every request that carries
//    request.auth and is not one of the named endpoints. It must run after the middleware that
//    authenticates the request; requests without request.auth pass through unlimited.
//
// Every limited response, allowed or not, carries X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (seconds until the window resets). A refused request is answered 429
// problem+json with Retry-After and never reaches the handler.
//
// Thread-safe once built: the middleware holds immutable rules and borrows `limiter`, which
// must outlive it (and is thread-safe itself).

#include <string>
#include <vector>

#include "http/router.hpp"
#include "ratelimit/client_ip_resolver.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace molvault::ratelimit {

// One named endpoint and the rule its callers are limited by.
struct RouteRule {
    std::string method;  // upper case, e.g. "POST"
    std::string path;    // exact, e.g. "/api/v1/auth/login"
    RateLimitRule rule;
};

// Limits by user tier. A tier other than "pro" or "enterprise" (including none) gets `free`,
// the strictest.
struct TierRules {
    RateLimitRule free;
    RateLimitRule pro;
    RateLimitRule enterprise;
};

// Per-IP limits for the endpoints in `rules`; other requests pass through untouched.
[[nodiscard]] http::Middleware route_rate_limit(
    RateLimiter& limiter, std::vector<RouteRule> rules, ClientIpResolver client_ip
);

// Per-user limits by tier for authenticated requests, except the endpoints in `exempt` (they
// have their own per-IP rules). Keyed by request.auth->user_id.
[[nodiscard]] http::Middleware user_rate_limit(
    RateLimiter& limiter, TierRules tiers, std::vector<RouteRule> exempt = {}
);

// Sets the three X-RateLimit-* headers from `decision`. Exposed for tests.
void apply_rate_limit_headers(http::Response& response, const Decision& decision);

}  // namespace molvault::ratelimit
