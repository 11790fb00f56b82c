#include "ratelimit/rate_limit_middleware.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "http/problem.hpp"

namespace molvault::ratelimit {
namespace {

const RouteRule* find_rule(const std::vector<RouteRule>& rules, const http::Request& request) {
    const auto it = std::find_if(rules.begin(), rules.end(), [&request](const RouteRule& r) {
        return r.method == request.method && r.path == request.path;
    });
    return it == rules.end() ? nullptr : &*it;
}

// Counts one hit and either answers 429 or calls next; both carry the X-RateLimit-* headers.
http::Response limit(
    RateLimiter& limiter,
    const RateLimitRule& rule,
    const std::string& key,
    http::Request& request,
    const http::Handler& next
) {
    const auto decision = limiter.hit(rule, key);
    if (!decision.allowed) {
        // Retry-After of at least one second: "0" would invite an immediate retry.
        const auto wait = std::max(decision.reset_after, std::chrono::seconds(1));
        auto response = http::problem_response(
            Error(
                ErrorCode::kRateLimited,
                fmt::format("Too many requests; retry after {} seconds", wait.count())
            )
                .with_retry_after(wait),
            request.request_id
        );
        apply_rate_limit_headers(response, decision);
        return response;
    }
    auto response = next(request);
    apply_rate_limit_headers(response, decision);
    return response;
}

}  // namespace

void apply_rate_limit_headers(http::Response& response, const Decision& decision) {
    response.set("X-RateLimit-Limit", std::to_string(decision.limit));
    response.set("X-RateLimit-Remaining", std::to_string(decision.remaining));
    response.set("X-RateLimit-Reset", std::to_string(decision.reset_after.count()));
}

http::Middleware route_rate_limit(
    RateLimiter& limiter, std::vector<RouteRule> rules, ClientIpResolver client_ip
) {
    return [&limiter,
            rules = std::move(rules),
            client_ip = std::move(client_ip)](http::Request& request, const http::Handler& next) {
        const auto* route = find_rule(rules, request);
        if (route == nullptr) {
            return next(request);
        }
        return limit(limiter, route->rule, client_ip.client_key(request), request, next);
    };
}

http::Middleware user_rate_limit(
    RateLimiter& limiter, TierRules tiers, std::vector<RouteRule> exempt
) {
    return [&limiter,
            tiers = std::move(tiers),
            exempt = std::move(exempt)](http::Request& request, const http::Handler& next) {
        if (!request.auth || find_rule(exempt, request) != nullptr) {
            return next(request);
        }
        const auto& tier = request.auth->tier;
        const RateLimitRule& rule = tier == "enterprise" ? tiers.enterprise
                                    : tier == "pro"      ? tiers.pro
                                                         : tiers.free;
        return limit(limiter, rule, request.auth->user_id, request, next);
    };
}

}  // namespace molvault::ratelimit
