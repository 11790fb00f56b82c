#include "ratelimit/rate_limit_middleware.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "ratelimit/memory_rate_limiter.hpp"

namespace molvault::ratelimit {
namespace {

using namespace std::chrono_literals;

http::Request make_request(std::string method, std::string path, std::string peer = "192.0.2.1") {
    http::Request request;
    request.method = std::move(method);
    request.target = path;
    request.path = std::move(path);
    request.peer_ip = std::move(peer);
    request.request_id = "test-request";
    return request;
}

class RateLimitMiddlewareTest : public testing::Test {
protected:
    void SetUp() override {
        router_.use(route_rate_limit(
            limiter_,
            {{"POST", "/api/v1/auth/login", {"login", 2, 60s}}},
            ClientIpResolver(parse_ip_network_list("127.0.0.1").value())
        ));
        router_.use(user_rate_limit(
            limiter_,
            {{"user_free", 1, 60s}, {"user_pro", 2, 60s}, {"user_enterprise", 3, 60s}},
            {{"POST", "/api/v1/auth/login", {"login", 2, 60s}}}
        ));
        const auto ok = [this](const http::Request&) {
            ++handled_;
            return http::Response{};
        };
        router_.post("/api/v1/auth/login", ok);
        router_.get("/api/v1/projects", ok);
    }

    http::Response send(http::Request request) { return router_.handle(request); }

    http::Response send_as(std::string user, std::string tier) {
        auto request = make_request("GET", "/api/v1/projects");
        request.auth = http::AuthContext{std::move(user), "user", std::move(tier), "jti", false};
        return send(std::move(request));
    }

    MemoryRateLimiter limiter_;
    http::Router router_;
    int handled_ = 0;
};

TEST_F(RateLimitMiddlewareTest, SetsRateLimitHeadersOnAllowedResponses) {
    const auto first = send(make_request("POST", "/api/v1/auth/login"));
    EXPECT_EQ(first.status, http::status::kOk);
    EXPECT_EQ(first.headers.get("X-RateLimit-Limit"), "2");
    EXPECT_EQ(first.headers.get("X-RateLimit-Remaining"), "1");
    EXPECT_EQ(first.headers.get("X-RateLimit-Reset"), "60");
    EXPECT_FALSE(first.headers.contains("Retry-After"));
}

TEST_F(RateLimitMiddlewareTest, RefusesOverTheLimitWithProblemJsonAndRetryAfter) {
    (void)send(make_request("POST", "/api/v1/auth/login"));
    (void)send(make_request("POST", "/api/v1/auth/login"));
    const auto refused = send(make_request("POST", "/api/v1/auth/login"));
    EXPECT_EQ(refused.status, http::status::kTooManyRequests);
    EXPECT_EQ(refused.headers.get("Content-Type"), "application/problem+json");
    EXPECT_EQ(refused.headers.get("Retry-After"), "60");
    EXPECT_EQ(refused.headers.get("X-RateLimit-Remaining"), "0");
    EXPECT_EQ(nlohmann::json::parse(refused.body)["status"], 429);
    EXPECT_EQ(handled_, 2) << "a refused request never reaches the handler";
}

TEST_F(RateLimitMiddlewareTest, LimitsEachClientAddressSeparately) {
    (void)send(make_request("POST", "/api/v1/auth/login", "192.0.2.1"));
    (void)send(make_request("POST", "/api/v1/auth/login", "192.0.2.1"));
    EXPECT_EQ(send(make_request("POST", "/api/v1/auth/login", "192.0.2.2")).status, 200);
}

TEST_F(RateLimitMiddlewareTest, MatchesMethodAndPathExactly) {
    for (int i = 0; i < 3; ++i) {
        const auto other = send(make_request("GET", "/api/v1/projects"));
        EXPECT_FALSE(other.headers.contains("X-RateLimit-Limit"));
        const auto options = send(make_request("OPTIONS", "/api/v1/auth/login"));
        EXPECT_FALSE(options.headers.contains("X-RateLimit-Limit"));
    }
    EXPECT_EQ(
        send(make_request("POST", "/api/v1/auth/login")).headers.get("X-RateLimit-Remaining"), "1"
    );
}

TEST_F(RateLimitMiddlewareTest, LimitsAuthenticatedUsersByTier) {
    EXPECT_EQ(send_as("alice", "free").status, 200);
    EXPECT_EQ(send_as("alice", "free").status, 429);
    EXPECT_EQ(send_as("bob", "pro").headers.get("X-RateLimit-Limit"), "2");
    EXPECT_EQ(send_as("bob", "pro").status, 200);
    EXPECT_EQ(send_as("bob", "pro").status, 429);
    EXPECT_EQ(send_as("carol", "enterprise").headers.get("X-RateLimit-Limit"), "3");
}

TEST_F(RateLimitMiddlewareTest, TreatsAnUnknownTierAsFree) {
    EXPECT_EQ(send_as("dave", "platinum").headers.get("X-RateLimit-Limit"), "1");
    EXPECT_EQ(send_as("erin", "").headers.get("X-RateLimit-Limit"), "1");
}

TEST_F(RateLimitMiddlewareTest, LeavesAnonymousRequestsToThePerIpRules) {
    for (int i = 0; i < 3; ++i) {
        const auto response = send(make_request("GET", "/api/v1/projects"));
        EXPECT_EQ(response.status, 200);
        EXPECT_FALSE(response.headers.contains("X-RateLimit-Limit"));
    }
}

TEST_F(RateLimitMiddlewareTest, DoesNotCountNamedRoutesAgainstTheUserBudget) {
    auto login = make_request("POST", "/api/v1/auth/login");
    login.auth = http::AuthContext{"alice", "user", "free", "jti", false};
    EXPECT_EQ(send(login).headers.get("X-RateLimit-Limit"), "2");  // the login rule
    EXPECT_EQ(send_as("alice", "free").status, 200);               // free budget untouched
}

}  // namespace
}  // namespace molvault::ratelimit
