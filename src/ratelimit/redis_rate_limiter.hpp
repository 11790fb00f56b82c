#pragma once
// RedisRateLimiter: fixed-window counters in Redis, so every molvault instance pointed at the
// same Redis shares one budget per key. Each hit is one atomic Lua script (INCR, PEXPIRE on
// the first hit of a window, PTTL), run by EVALSHA and re-sent with EVAL when Redis answers
// NOSCRIPT (after a restart or SCRIPT FLUSH). Keys: molvault:rl:<rule>:<key>.
//
// When Redis is unreachable or answers with an error, hit() falls back to an internal
// MemoryRateLimiter (budgets are then per instance), calls `on_fallback` once per hit served
// that way, and logs a `rate_limit_redis_unavailable` warning at most once per
// kWarningInterval. While Redis is down, at most one hit per kRetryInterval tries it again;
// the others go straight to memory, so an outage costs at most one timeout per second.
//
// Thread-safe: share one instance. The RedisClient is borrowed and must outlive this object;
// its mutex serialises the Redis round trips. hit() never throws (except std::bad_alloc), and
// on_fallback must not throw.

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/expected.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "ratelimit/redis_client.hpp"

namespace molvault::ratelimit {

class RedisRateLimiter final : public RateLimiter {
public:
    static constexpr std::chrono::seconds kWarningInterval{30};
    static constexpr std::chrono::seconds kRetryInterval{1};

    RedisRateLimiter(
        RedisClient& redis,
        std::function<void()> on_fallback,
        Clock clock = std::chrono::steady_clock::now
    );

    [[nodiscard]] Decision hit(const RateLimitRule& rule, const std::string& key) override;

    // The Redis key a rule and key are counted under.
    [[nodiscard]] static std::string redis_key(const RateLimitRule& rule, const std::string& key);

private:
    // The count and remaining milliseconds of the window after this hit, or Redis's error.
    [[nodiscard]] Expected<Decision, std::string> hit_redis(
        const RateLimitRule& rule, const std::string& key
    );
    [[nodiscard]] Expected<RedisReply, std::string> run_script(
        const std::string& redis_key, const std::string& window_ms
    );
    // Whether this hit should try Redis (always while it is up; one probe per kRetryInterval
    // while it is down).
    [[nodiscard]] bool should_try_redis(std::chrono::steady_clock::time_point now);
    void mark_up();
    void mark_down(std::chrono::steady_clock::time_point now, const std::string& error);

    RedisClient& redis_;
    const std::function<void()> on_fallback_;
    const Clock clock_;
    MemoryRateLimiter fallback_;

    std::mutex mutex_;        // guards everything below
    std::string script_sha_;  // empty until SCRIPT LOAD succeeds
    bool down_ = false;
    std::chrono::steady_clock::time_point next_retry_;
    std::optional<std::chrono::steady_clock::time_point> last_warning_;
};

}  // namespace molvault::ratelimit
