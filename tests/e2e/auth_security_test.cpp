// Sign-in under pressure, end to end on SQLite: the real binary over HTTP. Login takes as long
// for an unknown email as for a wrong password; a saturated hashing pool answers 503 without
// slowing routes that do not hash; the per-user tier limit; an access token in a cookie.
// (Access-token expiry is in tests/unit/auth_token_service_test.cpp: the 30 s leeway would make
// it slow here.)
#include <algorithm>
#include <cmath>
#include <future>
#include <iostream>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_database.hpp"

namespace molvault::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "Corr3ct-Horse!";
constexpr const char* kWrongPassword = "Wrong-Pass1!";
constexpr const char* kLogin = "/api/v1/auth/login";
constexpr const char* kMe = "/api/v1/auth/me";

std::string cookie_value(const HttpResponse& response, const std::string& name) {
    for (const auto& header : response.header_all("Set-Cookie")) {
        if (header.rfind(name + "=", 0) == 0) {
            const auto start = name.size() + 1;
            return header.substr(start, header.find(';') - start);
        }
    }
    return "";
}

double median_ms(std::vector<Clock::duration> samples) {
    std::sort(samples.begin(), samples.end());
    const auto middle = samples.size() / 2;
    const auto median =
        samples.size() % 2 == 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
    return std::chrono::duration<double, std::milli>(median).count();
}

class AuthSecurity : public testing::Test {
protected:
    std::unique_ptr<MolvaultProcess> start(EnvMap env) {
        env["DATABASE_URL"] = database_.url();
        env.try_emplace("RATE_LIMIT_ENABLED", "false");
        return std::make_unique<MolvaultProcess>(env);
    }

    static HttpResponse register_user(HttpClient& client, const std::string& email) {
        return client.post_json(
            "/api/v1/auth/register", {{"email", email}, {"password", kPassword}}
        );
    }
    static HttpResponse login(
        HttpClient& client, const std::string& email, const std::string& password = kPassword
    ) {
        return client.post_json(kLogin, {{"email", email}, {"password", password}});
    }
    static HttpResponse me(HttpClient& client, const std::string& access_token) {
        return client.get(kMe, {{"Authorization", "Bearer " + access_token}});
    }
    // Registers `email` and signs in; returns the access token.
    static std::string signed_in_user(HttpClient& client, const std::string& email) {
        EXPECT_EQ(register_user(client, email).status, 201);
        const auto response = login(client, email);
        EXPECT_EQ(response.status, 200) << response.body;
        return response.json().value("access_token", "");
    }

    TestDatabase database_{db::Backend::kSqlite};
};

TEST_F(AuthSecurity, LoginTakesAsLongForAnUnknownEmailAsForAWrongPassword) {
    constexpr int kTries = 30;
    constexpr int kWarmUp = 3;
    constexpr double kGrossGap = 0.5;  // fail only when the medians differ by more than 50%
    // Cost 10 so that hashing dominates; a high lockout threshold so that the wrong-password
    // account stays unlocked (a locked account is verified the same way, but stay on one path).
    const auto server = start({{"BCRYPT_ROUNDS", "10"}, {"LOCKOUT_THRESHOLD", "1000"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "known@example.com").status, 201);

    std::vector<Clock::duration> unknown;
    std::vector<Clock::duration> wrong;
    for (int i = 0; i < kWarmUp + kTries; ++i) {
        const auto before_unknown = Clock::now();
        const auto unknown_response = login(client, "nobody@example.com", kWrongPassword);
        const auto after_unknown = Clock::now();
        const auto wrong_response = login(client, "known@example.com", kWrongPassword);
        const auto after_wrong = Clock::now();
        ASSERT_EQ(unknown_response.status, 401);
        ASSERT_EQ(wrong_response.status, 401);
        if (i >= kWarmUp) {
            unknown.push_back(after_unknown - before_unknown);
            wrong.push_back(after_wrong - after_unknown);
        }
    }

    const double unknown_ms = median_ms(unknown);
    const double wrong_ms = median_ms(wrong);
    const double gap = std::abs(unknown_ms - wrong_ms) / std::min(unknown_ms, wrong_ms);
    std::cout << "login median over " << kTries << " tries: unknown email " << unknown_ms
              << " ms, wrong password " << wrong_ms << " ms, difference " << (wrong_ms - unknown_ms)
              << " ms (" << gap * 100 << "%)\n";
    RecordProperty("unknown_email_median_us", static_cast<int>(unknown_ms * 1000));
    RecordProperty("wrong_password_median_us", static_cast<int>(wrong_ms * 1000));
    EXPECT_LT(gap, kGrossGap) << "unknown email " << unknown_ms << " ms, wrong password "
                              << wrong_ms << " ms";
}

TEST_F(AuthSecurity, SaturatedHashingAnswers503WhileOtherRoutesStillServe) {
    constexpr int kFlooders = 8;
    constexpr int kLoginsEach = 3;
    const auto server = start({
        {"BCRYPT_ROUNDS", "12"},
        {"HASH_THREADS", "1"},
        {"HASH_QUEUE_LIMIT", "1"},
        {"HTTP_WORKERS", "16"},
    });
    HttpClient client(server->port());
    const auto access = signed_in_user(client, "flood@example.com");
    ASSERT_FALSE(access.empty());

    std::vector<std::future<std::vector<HttpResponse>>> flood;
    for (int i = 0; i < kFlooders; ++i) {
        flood.push_back(std::async(std::launch::async, [port = server->port()] {
            HttpClient own(port);
            std::vector<HttpResponse> responses;
            for (int k = 0; k < kLoginsEach; ++k) {
                responses.push_back(login(own, "flood@example.com"));
            }
            return responses;
        }));
    }
    // While the flood runs, routes that never hash keep answering.
    std::vector<int> me_statuses;
    std::vector<int> health_statuses;
    const auto flooding = [&flood] {
        return std::any_of(flood.begin(), flood.end(), [](const auto& f) {
            return f.wait_for(0s) != std::future_status::ready;
        });
    };
    while (flooding() || me_statuses.empty()) {
        me_statuses.push_back(me(client, access).status);
        health_statuses.push_back(client.get("/health").status);
        std::this_thread::sleep_for(20ms);
    }

    std::multiset<int> login_statuses;
    for (auto& f : flood) {
        for (const auto& response : f.get()) {
            login_statuses.insert(response.status);
            if (response.status == 503) {
                EXPECT_EQ(response.header("Retry-After"), "1");
                EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
            }
        }
    }
    std::cout << "logins: " << login_statuses.count(200) << " x 200, " << login_statuses.count(503)
              << " x 503; /me and /health probed " << me_statuses.size()
              << " times during the flood\n";
    EXPECT_GE(login_statuses.count(503), 1U) << "one hashing thread, a queue of one";
    EXPECT_GE(login_statuses.count(200), 1U);
    EXPECT_EQ(login_statuses.count(200) + login_statuses.count(503), login_statuses.size());
    for (const int status : me_statuses) {
        EXPECT_EQ(status, 200);
    }
    for (const int status : health_statuses) {
        EXPECT_EQ(status, 200);
    }
}

TEST_F(AuthSecurity, RefusesAUserOverTheirTierLimitButNotAnotherUser) {
    const auto server = start({{"RATE_LIMIT_ENABLED", "true"}, {"RATE_LIMIT_FREE", "3/minute"}});
    HttpClient client(server->port());
    const auto first = signed_in_user(client, "busy@example.com");
    const auto second = signed_in_user(client, "calm@example.com");

    for (int i = 1; i <= 3; ++i) {
        const auto allowed = me(client, first);
        EXPECT_EQ(allowed.status, 200) << "request " << i;
        EXPECT_EQ(allowed.header("X-RateLimit-Limit"), "3");
        EXPECT_EQ(allowed.header("X-RateLimit-Remaining"), std::to_string(3 - i));
    }
    const auto refused = me(client, first);
    EXPECT_EQ(refused.status, 429);
    EXPECT_EQ(refused.header("X-RateLimit-Limit"), "3");
    EXPECT_EQ(refused.header("X-RateLimit-Remaining"), "0");
    const int reset = std::stoi(refused.header("X-RateLimit-Reset").value_or("-1"));
    EXPECT_GT(reset, 0);
    EXPECT_LE(reset, 60);
    const int retry_after = std::stoi(refused.header("Retry-After").value_or("-1"));
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 60);

    const auto other = me(client, second);
    EXPECT_EQ(other.status, 200) << "each user has a budget of their own";
    EXPECT_EQ(other.header("X-RateLimit-Remaining"), "2");
}

TEST_F(AuthSecurity, ConcurrentRefreshesNeedOneConnectionEachNotTwo) {
    // As many workers as pooled connections, which operations.md allows. The test holds
    // SQLite's write lock while the refreshes arrive, so every worker has borrowed a connection
    // and waits in BEGIN IMMEDIATE when it is released. A refresh that then borrowed a second
    // connection while still holding its first would wait for the pool with every other worker
    // until DB_POOL_TIMEOUT, and answer 503.
    constexpr int kWorkers = 4;
    constexpr int kRefreshes = 2 * kWorkers;
    const auto server = start({
        {"HTTP_WORKERS", std::to_string(kWorkers)},
        {"DB_POOL_SIZE", std::to_string(kWorkers)},
        {"DB_POOL_MAX_OVERFLOW", "0"},
        {"DB_POOL_TIMEOUT_MS", "2000"},
    });
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "pool@example.com").status, 201);
    std::vector<std::string> tokens;
    for (int i = 0; i < kRefreshes; ++i) {
        tokens.push_back(cookie_value(login(client, "pool@example.com"), "refresh_token"));
    }

    const auto admin = database_.open();
    auto write_lock = admin->begin();  // SQLite: BEGIN IMMEDIATE
    std::vector<std::future<HttpResponse>> results;
    for (const auto& token : tokens) {
        results.push_back(std::async(std::launch::async, [port = server->port(), token] {
            HttpClient own(port);
            return own.post_json("/api/v1/auth/refresh", {{"refresh_token", token}});
        }));
    }
    std::this_thread::sleep_for(1s);  // every worker is now waiting for the write lock
    write_lock.commit();

    for (auto& result : results) {
        const auto response = result.get();
        EXPECT_EQ(response.status, 200) << response.body;
    }
}

TEST_F(AuthSecurity, AcceptsTheAccessTokenCookieOnAReadWithoutCsrf) {
    const auto server = start({});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "reader@example.com").status, 201);
    const auto signed_in = login(client, "reader@example.com");
    ASSERT_EQ(signed_in.status, 200);
    const auto access = cookie_value(signed_in, "access_token");
    ASSERT_FALSE(access.empty());

    // Only the access-token cookie: no csrf_token cookie, no X-CSRF-Token, no Authorization.
    const auto current = client.get(kMe, {{"Cookie", "access_token=" + access}});
    EXPECT_EQ(current.status, 200) << current.body;
    EXPECT_EQ(current.json()["email"], "reader@example.com");
    EXPECT_EQ(client.get(kMe, {{"Cookie", "access_token=not-a-token"}}).status, 401);
}

}  // namespace
}  // namespace molvault::test