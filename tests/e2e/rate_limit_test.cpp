// End-to-end tests of rate limiting: the real binary, over real sockets.
//
// The attempts sign in as an unknown user, so the allowed ones are answered 401; the limiter
// runs before routing, counts them and sets the X-RateLimit-* headers. These tests assert the
// limiter's behaviour, not the login's. Each test starts its own servers (their
// memory is their own) and, where Redis is shared, counts under a random client address
// forwarded through a trusted proxy, so tests running side by side never share a budget.
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_services.hpp"

namespace molvault::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLogin = "/api/v1/auth/login";

HttpResponse attempt_login(HttpClient& client, const HeaderList& headers = {}) {
    return client.post_json(kLogin, {{"email", "a@example.com"}, {"password", "x"}}, headers);
}

// A random address in 198.18.0.0/15 (RFC 2544, never routed), so reruns get fresh budgets.
std::string random_client_ip() {
    std::random_device random;
    return "198.18." + std::to_string(random() % 256) + "." + std::to_string(random() % 256);
}

int header_int(const HttpResponse& response, std::string_view name) {
    return std::stoi(response.header(name).value_or("-1"));
}

TEST(RateLimit, RefusesTheSixthLoginAttemptInAMinute) {
    MolvaultProcess server;
    HttpClient client(server.port());
    for (int i = 1; i <= 5; ++i) {
        const auto response = attempt_login(client);
        EXPECT_EQ(response.status, 401) << "attempt " << i << " passes the limiter";
        EXPECT_EQ(response.header("X-RateLimit-Limit"), "5");
        EXPECT_EQ(header_int(response, "X-RateLimit-Remaining"), 5 - i);
        EXPECT_GT(header_int(response, "X-RateLimit-Reset"), 0);
        EXPECT_LE(header_int(response, "X-RateLimit-Reset"), 60);
    }

    const auto refused = attempt_login(client);

    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(refused.json()["status"], 429);
    EXPECT_EQ(refused.header("X-RateLimit-Limit"), "5");
    EXPECT_EQ(refused.header("X-RateLimit-Remaining"), "0");
    const int retry_after = header_int(refused, "Retry-After");
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 60);
    EXPECT_EQ(refused.header("X-Content-Type-Options"), "nosniff") << "security headers too";
}

TEST(RateLimit, LeavesOtherRoutesUnlimited) {
    MolvaultProcess server(EnvMap{{"RATE_LIMIT_LOGIN", "1/minute"}});
    HttpClient client(server.port());
    for (int i = 0; i < 3; ++i) {
        const auto health = client.get("/health");
        EXPECT_EQ(health.status, 200);
        EXPECT_FALSE(health.header("X-RateLimit-Limit"));
    }
}

TEST(RateLimit, AllowsAgainOnceTheWindowResets) {
    MolvaultProcess server(EnvMap{{"RATE_LIMIT_LOGIN", "2/2s"}});
    HttpClient client(server.port());
    (void)attempt_login(client);
    (void)attempt_login(client);
    const auto refused = attempt_login(client);
    ASSERT_EQ(refused.status, 429);

    std::this_thread::sleep_for(std::chrono::seconds(header_int(refused, "Retry-After")) + 100ms);

    const auto again = attempt_login(client);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.header("X-RateLimit-Remaining"), "1");
}

TEST(RateLimit, TwoInstancesSharingRedisEnforceOneBudget) {
    const EnvMap env = {
        {"REDIS_URL", test_services().redis_url},
        {"TRUSTED_PROXIES", "127.0.0.1"},
    };
    MolvaultProcess server_a(env);
    MolvaultProcess server_b(env);
    HttpClient client_a(server_a.port());
    HttpClient client_b(server_b.port());
    const HeaderList from_client = {{"X-Forwarded-For", random_client_ip()}};

    std::vector<int> statuses;
    for (int i = 0; i < 3; ++i) {
        statuses.push_back(attempt_login(client_a, from_client).status);
        statuses.push_back(attempt_login(client_b, from_client).status);
    }

    EXPECT_EQ(statuses, (std::vector<int>{401, 401, 401, 401, 401, 429}));
    EXPECT_EQ(server_a.log().find("rate_limit_redis_unavailable"), std::string::npos);
}

TEST(RateLimit, FallsBackToMemoryAndCountsItWhenRedisIsDown) {
    // Port 1 on loopback: nothing listens there, so every connection is refused at once.
    MolvaultProcess server(EnvMap{
        {"REDIS_URL", "redis://127.0.0.1:1"},
        {"RATE_LIMIT_LOGIN", "2/minute"},
    });
    HttpClient client(server.port());
    EXPECT_EQ(attempt_login(client).status, 401);
    EXPECT_EQ(attempt_login(client).status, 401);
    EXPECT_EQ(attempt_login(client).status, 429);

    EXPECT_NE(
        client.get("/metrics").body.find("molvault_rate_limit_redis_fallback_total 3"),
        std::string::npos
    );
    const auto log = server.log();
    const auto first = log.find("rate_limit_redis_unavailable");
    EXPECT_NE(first, std::string::npos);
    EXPECT_EQ(log.find("rate_limit_redis_unavailable", first + 1), std::string::npos)
        << "warned once, not per request";
}

TEST(RateLimit, CanBeDisabledOutsideProduction) {
    MolvaultProcess server(EnvMap{{"RATE_LIMIT_ENABLED", "false"}});
    HttpClient client(server.port());
    for (int i = 0; i < 8; ++i) {
        const auto response = attempt_login(client);
        EXPECT_EQ(response.status, 401);
        EXPECT_FALSE(response.header("X-RateLimit-Limit"));
    }
}

TEST(RateLimit, IgnoresForwardedForFromAnUntrustedPeer) {
    MolvaultProcess server(EnvMap{{"RATE_LIMIT_LOGIN", "2/minute"}});
    HttpClient client(server.port());
    EXPECT_EQ(attempt_login(client, {{"X-Forwarded-For", "203.0.113.1"}}).status, 401);
    EXPECT_EQ(attempt_login(client, {{"X-Forwarded-For", "203.0.113.2"}}).status, 401);
    EXPECT_EQ(attempt_login(client, {{"X-Forwarded-For", "203.0.113.3"}}).status, 429)
        << "a spoofed X-Forwarded-For must not buy a fresh bucket";
}

TEST(RateLimit, KeysByForwardedForBehindATrustedProxy) {
    MolvaultProcess server(EnvMap{
        {"RATE_LIMIT_LOGIN", "2/minute"},
        {"TRUSTED_PROXIES", "127.0.0.1"},
    });
    HttpClient client(server.port());
    const HeaderList first_client = {{"X-Forwarded-For", "203.0.113.1"}};
    const HeaderList second_client = {{"X-Forwarded-For", "203.0.113.2"}};
    EXPECT_EQ(attempt_login(client, first_client).status, 401);
    EXPECT_EQ(attempt_login(client, first_client).status, 401);
    EXPECT_EQ(attempt_login(client, first_client).status, 429);
    EXPECT_EQ(attempt_login(client, second_client).status, 401) << "another client, own bucket";
    EXPECT_NE(server.log().find("\"client_ip\":\"203.0.113.2\""), std::string::npos)
        << "the access log and audit trail name the client, not the proxy";
    // The left-most entry is the client's claim; only the proxy-appended one counts.
    const HeaderList spoofing = {{"X-Forwarded-For", "192.0.2.77, 203.0.113.1"}};
    EXPECT_EQ(attempt_login(client, spoofing).status, 429);
}

TEST(RateLimit, RefusesToStartDisabledInProduction) {
    const TempDir data;
    const auto result = run_molvault(
        {"serve"},
        base_environment(
            data.path(),
            {{"ENV", "production"},
             {"COOKIE_SECURE", "true"},
             {"JWT_SECRET_KEY", "Zt7qLw2mXv9pRk4sNc8bHy3jFd6gTa1uEo5iWx0zQ_-K"},
             {"RATE_LIMIT_ENABLED", "false"}}
        )
    );
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.output.find("RATE_LIMIT_ENABLED"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace molvault::test
