#include "ratelimit/memory_rate_limiter.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace molvault::ratelimit {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
class FakeClock {
public:
    [[nodiscard]] Clock clock() {
        return [this] { return now_; };
    }
    void advance(std::chrono::steady_clock::duration by) { now_ += by; }

private:
    std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

const RateLimitRule kFivePerMinute{"login", 5, 60s};

TEST(MemoryRateLimiter, AllowsTheLimitThenRefuses) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    for (int i = 1; i <= 5; ++i) {
        const auto decision = limiter.hit(kFivePerMinute, "198.51.100.1");
        EXPECT_TRUE(decision.allowed) << "hit " << i;
        EXPECT_EQ(decision.limit, 5);
        EXPECT_EQ(decision.remaining, 5 - i);
    }
    const auto refused = limiter.hit(kFivePerMinute, "198.51.100.1");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_EQ(refused.reset_after, 60s);
}

TEST(MemoryRateLimiter, ReportsSecondsUntilTheWindowEndsRoundedUp) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    EXPECT_EQ(limiter.hit(kFivePerMinute, "k").reset_after, 60s);
    time.advance(20s + 300ms);
    EXPECT_EQ(limiter.hit(kFivePerMinute, "k").reset_after, 40s);
    time.advance(39s + 500ms);
    EXPECT_EQ(limiter.hit(kFivePerMinute, "k").reset_after, 1s);
}

TEST(MemoryRateLimiter, StartsAFreshWindowWhenTheOldOneEnds) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    for (int i = 0; i < 6; ++i) {
        (void)limiter.hit(kFivePerMinute, "k");
    }
    time.advance(59s);
    EXPECT_FALSE(limiter.hit(kFivePerMinute, "k").allowed);
    time.advance(1s);
    const auto fresh = limiter.hit(kFivePerMinute, "k");
    EXPECT_TRUE(fresh.allowed);
    EXPECT_EQ(fresh.remaining, 4);
    EXPECT_EQ(fresh.reset_after, 60s);
}

TEST(MemoryRateLimiter, RefusedHitsDoNotExtendTheWindow) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    for (int i = 0; i < 5; ++i) {
        (void)limiter.hit(kFivePerMinute, "k");
    }
    for (int i = 0; i < 59; ++i) {
        time.advance(1s);
        EXPECT_FALSE(limiter.hit(kFivePerMinute, "k").allowed);
    }
    time.advance(1s);
    EXPECT_TRUE(limiter.hit(kFivePerMinute, "k").allowed);
}

TEST(MemoryRateLimiter, CountsKeysAndRulesSeparately) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    const RateLimitRule one_per_minute{"register", 1, 60s};
    EXPECT_TRUE(limiter.hit(one_per_minute, "a").allowed);
    EXPECT_FALSE(limiter.hit(one_per_minute, "a").allowed);
    EXPECT_TRUE(limiter.hit(one_per_minute, "b").allowed);
    EXPECT_TRUE(limiter.hit(RateLimitRule{"refresh", 1, 60s}, "a").allowed);
    // The rule name and key cannot run together into another pair's bucket.
    EXPECT_TRUE(limiter.hit(RateLimitRule{"register:", 1, 60s}, "b").allowed);
    EXPECT_TRUE(limiter.hit(RateLimitRule{"x", 1, 60s}, "y:z").allowed);
    EXPECT_TRUE(limiter.hit(RateLimitRule{"x:y", 1, 60s}, "z").allowed);
}

TEST(MemoryRateLimiter, SweepsExpiredWindows) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    const RateLimitRule short_rule{"short", 3, 10s};
    for (int i = 0; i < 100; ++i) {
        (void)limiter.hit(short_rule, "key-" + std::to_string(i));
    }
    EXPECT_EQ(limiter.size(), 100U);
    time.advance(MemoryRateLimiter::kSweepInterval);
    // The next hit on each shard sweeps it; hit every shard via many fresh keys.
    for (int i = 0; i < 200; ++i) {
        (void)limiter.hit(short_rule, "later-" + std::to_string(i));
    }
    EXPECT_EQ(limiter.size(), 200U);
}

TEST(MemoryRateLimiter, SweepsEarlyWhenManyNewKeysArrive) {
    FakeClock time;
    MemoryRateLimiter limiter(time.clock());
    const RateLimitRule one_second{"burst", 1, 1s};
    constexpr int kKeys = 100'000;
    for (int i = 0; i < kKeys; ++i) {
        (void)limiter.hit(one_second, std::to_string(i));
        if (i % 1000 == 999) {
            time.advance(1s);  // every earlier window has ended
        }
    }
    // Without early sweeps all 100,000 would still be held until the minute is up.
    EXPECT_LT(limiter.size(), 50'000U);
}

TEST(MemoryRateLimiter, NeverAllowsMoreThanTheLimitUnderConcurrency) {
    MemoryRateLimiter limiter;
    const RateLimitRule rule{"concurrent", 100, 60s};
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&limiter, &rule, &allowed] {
            for (int i = 0; i < 50; ++i) {
                if (limiter.hit(rule, "shared").allowed) {
                    ++allowed;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace molvault::ratelimit
