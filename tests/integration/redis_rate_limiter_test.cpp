// Integration tests of RedisRateLimiter against the real Redis started by ctest's fixture.
// Every test counts under its own random key, so tests and reruns never share a budget.
#include "ratelimit/redis_rate_limiter.hpp"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ratelimit/redis_client.hpp"
#include "support/test_services.hpp"

namespace molvault::ratelimit {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kTimeout{1000};

RedisEndpoint test_redis() {
    auto endpoint = parse_redis_url(test::test_services().redis_url);
    EXPECT_TRUE(endpoint) << endpoint.error();
    return std::move(endpoint).value();
}

std::string unique_key() {
    std::random_device random;
    return "it-" + std::to_string(random()) + "-" + std::to_string(random());
}

// A loopback port with nothing listening: bound by the kernel's choice, then released.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

class FakeClock {
public:
    [[nodiscard]] Clock clock() {
        return [this] { return now_.load(); };
    }
    void advance(std::chrono::steady_clock::duration by) { now_ = now_.load() + by; }

private:
    std::atomic<std::chrono::steady_clock::time_point> now_{
        std::chrono::steady_clock::time_point(std::chrono::hours(1000))};
};

class RedisRateLimiterTest : public testing::Test {
protected:
    RedisClient admin_{test_redis(), kTimeout};
    std::atomic<int> fallbacks_{0};
    std::function<void()> count_fallback_ = [this] { ++fallbacks_; };
    const std::string key_ = unique_key();
};

TEST_F(RedisRateLimiterTest, TwoInstancesShareOneBudget) {
    RedisClient client_a(test_redis(), kTimeout);
    RedisClient client_b(test_redis(), kTimeout);
    RedisRateLimiter instance_a(client_a, count_fallback_);
    RedisRateLimiter instance_b(client_b, count_fallback_);
    const RateLimitRule rule{"login", 5, 60s};

    int allowed = 0;
    for (int i = 0; i < 3; ++i) {
        allowed += instance_a.hit(rule, key_).allowed ? 1 : 0;
        allowed += instance_b.hit(rule, key_).allowed ? 1 : 0;
    }

    EXPECT_EQ(allowed, 5);
    EXPECT_EQ(fallbacks_, 0);
    const auto last = instance_a.hit(rule, key_);
    EXPECT_FALSE(last.allowed);
    EXPECT_EQ(last.remaining, 0);
    EXPECT_EQ(last.limit, 5);
    EXPECT_GE(last.reset_after, 59s);
    EXPECT_LE(last.reset_after, 60s);
}

TEST_F(RedisRateLimiterTest, ConcurrentHitsNeverExceedTheLimit) {
    constexpr int kLimit = 50;
    constexpr int kThreadsPerInstance = 4;
    constexpr int kHitsPerThread = 30;
    RedisClient client_a(test_redis(), kTimeout);
    RedisClient client_b(test_redis(), kTimeout);
    RedisRateLimiter instance_a(client_a, count_fallback_);
    RedisRateLimiter instance_b(client_b, count_fallback_);
    const RateLimitRule rule{"concurrent", kLimit, 60s};

    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (auto* limiter : {&instance_a, &instance_b}) {
        for (int t = 0; t < kThreadsPerInstance; ++t) {
            threads.emplace_back([limiter, &rule, &allowed, this] {
                for (int i = 0; i < kHitsPerThread; ++i) {
                    if (limiter->hit(rule, key_).allowed) {
                        ++allowed;
                    }
                }
            });
        }
    }
    for (auto& thread : threads) {
        thread.join();
    }

    EXPECT_EQ(allowed.load(), kLimit);
    EXPECT_EQ(fallbacks_, 0);
    const auto count = admin_.command({"GET", RedisRateLimiter::redis_key(rule, key_)});
    ASSERT_TRUE(count) << count.error();
    EXPECT_EQ(count->text, std::to_string(2 * kThreadsPerInstance * kHitsPerThread));
}

TEST_F(RedisRateLimiterTest, StoresCountersUnderNamedKeysThatExpire) {
    RedisClient client(test_redis(), kTimeout);
    RedisRateLimiter limiter(client, count_fallback_);
    const RateLimitRule rule{"expiry", 3, 1s};
    const auto redis_key = "molvault:rl:expiry:" + key_;
    ASSERT_EQ(RedisRateLimiter::redis_key(rule, key_), redis_key);

    (void)limiter.hit(rule, key_);
    (void)limiter.hit(rule, key_);
    const auto ttl = admin_.command({"PTTL", redis_key});
    ASSERT_TRUE(ttl) << ttl.error();
    EXPECT_GT(ttl->integer.value_or(-1), 0);
    EXPECT_LE(ttl->integer.value_or(-1), 1000);

    std::this_thread::sleep_for(1200ms);
    const auto exists = admin_.command({"EXISTS", redis_key});
    ASSERT_TRUE(exists) << exists.error();
    EXPECT_EQ(exists->integer, 0);
    const auto fresh = limiter.hit(rule, key_);
    EXPECT_TRUE(fresh.allowed);
    EXPECT_EQ(fresh.remaining, 2);
}

TEST_F(RedisRateLimiterTest, ResendsTheScriptAfterRedisForgetsIt) {
    RedisClient client(test_redis(), kTimeout);
    RedisRateLimiter limiter(client, count_fallback_);
    const RateLimitRule rule{"noscript", 5, 60s};
    EXPECT_EQ(limiter.hit(rule, key_).remaining, 4);

    ASSERT_TRUE(admin_.command({"SCRIPT", "FLUSH"}));

    EXPECT_EQ(limiter.hit(rule, key_).remaining, 3);
    EXPECT_EQ(limiter.hit(rule, key_).remaining, 2);
    EXPECT_EQ(fallbacks_, 0);
}

TEST_F(RedisRateLimiterTest, FallsBackToMemoryWhenRedisIsUnreachable) {
    RedisClient unreachable(RedisEndpoint{"127.0.0.1", closed_port(), "", 0}, kTimeout);
    RedisRateLimiter limiter(unreachable, count_fallback_);
    const RateLimitRule rule{"fallback", 2, 60s};

    EXPECT_TRUE(limiter.hit(rule, key_).allowed);
    EXPECT_TRUE(limiter.hit(rule, key_).allowed);
    const auto refused = limiter.hit(rule, key_);

    EXPECT_FALSE(refused.allowed) << "the memory fallback still enforces the limit";
    EXPECT_EQ(refused.limit, 2);
    EXPECT_EQ(fallbacks_, 3);
}

TEST_F(RedisRateLimiterTest, RetriesRedisAtMostOncePerSecondWhileItFails) {
    FakeClock time;
    RedisClient client(test_redis(), kTimeout);
    RedisRateLimiter limiter(client, count_fallback_, time.clock());
    const RateLimitRule rule{"retry", 10, 60s};
    const auto redis_key = RedisRateLimiter::redis_key(rule, key_);
    // A value INCR cannot count makes the script fail until the key is deleted.
    ASSERT_TRUE(admin_.command({"SET", redis_key, "not-a-number", "EX", "60"}));

    EXPECT_TRUE(limiter.hit(rule, key_).allowed);
    EXPECT_EQ(fallbacks_, 1);
    ASSERT_TRUE(admin_.command({"DEL", redis_key}));

    time.advance(500ms);
    EXPECT_EQ(limiter.hit(rule, key_).remaining, 8) << "second hit, still counted in memory";
    EXPECT_EQ(fallbacks_, 2);
    EXPECT_EQ(admin_.command({"EXISTS", redis_key})->integer, 0) << "Redis was not retried";

    time.advance(RedisRateLimiter::kRetryInterval);
    EXPECT_EQ(limiter.hit(rule, key_).remaining, 9) << "back on Redis, which starts from zero";
    EXPECT_EQ(fallbacks_, 2);
    EXPECT_EQ(admin_.command({"EXISTS", redis_key})->integer, 1);
}

}  // namespace
}  // namespace molvault::ratelimit
