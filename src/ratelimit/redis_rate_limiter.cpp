#include "ratelimit/redis_rate_limiter.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace molvault::ratelimit {
namespace {

constexpr std::string_view kKeyPrefix = "molvault:rl:";

// KEYS[1]: the counter; ARGV[1]: the window in milliseconds. Returns {count, ttl_ms}.
// The TTL is set on the first hit of a window only, so later hits do not extend it; a key that
// somehow has no TTL (PTTL -1) gets one, so no counter can live forever.
constexpr std::string_view kHitScript = R"lua(
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
)lua";

bool is_noscript(const std::string& error) { return error.find("NOSCRIPT") != std::string::npos; }

}  // namespace

RedisRateLimiter::RedisRateLimiter(
    RedisClient& redis, std::function<void()> on_fallback, Clock clock
)
    : redis_(redis),
      on_fallback_(std::move(on_fallback)),
      clock_(std::move(clock)),
      fallback_(clock_) {}

std::string RedisRateLimiter::redis_key(const RateLimitRule& rule, const std::string& key) {
    std::string out;
    out.reserve(kKeyPrefix.size() + rule.name.size() + 1 + key.size());
    out.append(kKeyPrefix).append(rule.name).append(":").append(key);
    return out;
}

Decision RedisRateLimiter::hit(const RateLimitRule& rule, const std::string& key) {
    if (should_try_redis(clock_())) {
        auto decision = hit_redis(rule, key);
        if (decision) {
            mark_up();
            return *decision;
        }
        mark_down(clock_(), decision.error());
    }
    if (on_fallback_) {
        on_fallback_();
    }
    return fallback_.hit(rule, key);
}

Expected<Decision, std::string> RedisRateLimiter::hit_redis(
    const RateLimitRule& rule, const std::string& key
) {
    const auto window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(rule.window);
    const auto reply = run_script(redis_key(rule, key), std::to_string(window_ms.count()));
    if (!reply) {
        return Unexpected<std::string>(reply.error());
    }
    const auto& elements = reply->elements;
    if (elements.size() != 2 || !elements[0].integer || !elements[1].integer) {
        return Unexpected<std::string>("unexpected reply from the rate-limit script");
    }
    const std::int64_t count = *elements[0].integer;
    const std::int64_t ttl_ms = std::max<std::int64_t>(*elements[1].integer, 0);

    Decision decision;
    decision.limit = rule.limit;
    decision.allowed = count <= rule.limit;
    decision.remaining =
        static_cast<int>(std::clamp<std::int64_t>(rule.limit - count, 0, rule.limit));
    decision.reset_after =
        std::chrono::ceil<std::chrono::seconds>(std::chrono::milliseconds(ttl_ms));
    return decision;
}

Expected<RedisReply, std::string> RedisRateLimiter::run_script(
    const std::string& redis_key, const std::string& window_ms
) {
    std::string sha;
    {
        const std::lock_guard lock(mutex_);
        sha = script_sha_;
    }
    const std::string script(kHitScript);
    if (sha.empty()) {
        const auto loaded = redis_.command({"SCRIPT", "LOAD", script});
        if (!loaded) {
            return Unexpected<std::string>(loaded.error());
        }
        if (!loaded->text) {
            return Unexpected<std::string>("SCRIPT LOAD returned no digest");
        }
        sha = *loaded->text;
        const std::lock_guard lock(mutex_);
        script_sha_ = sha;
    }
    auto reply = redis_.command({"EVALSHA", sha, "1", redis_key, window_ms});
    if (!reply && is_noscript(reply.error())) {
        // Redis restarted or flushed its script cache; EVAL also caches the script again.
        reply = redis_.command({"EVAL", script, "1", redis_key, window_ms});
    }
    return reply;
}

bool RedisRateLimiter::should_try_redis(std::chrono::steady_clock::time_point now) {
    const std::lock_guard lock(mutex_);
    if (!down_) {
        return true;
    }
    if (now < next_retry_) {
        return false;
    }
    next_retry_ = now + kRetryInterval;  // this hit is the probe; others keep using memory
    return true;
}

void RedisRateLimiter::mark_up() {
    bool recovered = false;
    {
        const std::lock_guard lock(mutex_);
        recovered = down_;
        down_ = false;
    }
    if (recovered) {
        log::info("rate_limit_redis_recovered", {});
    }
}

void RedisRateLimiter::mark_down(
    std::chrono::steady_clock::time_point now, const std::string& error
) {
    bool warn = false;
    {
        const std::lock_guard lock(mutex_);
        down_ = true;
        next_retry_ = now + kRetryInterval;
        if (!last_warning_ || now - *last_warning_ >= kWarningInterval) {
            last_warning_ = now;
            warn = true;
        }
    }
    if (warn) {
        log::warn(
            "rate_limit_redis_unavailable",
            {{"error", error},
             {"fallback", "memory"},
             {"retry_after_ms", std::chrono::milliseconds(kRetryInterval).count()}}
        );
    }
}

}  // namespace molvault::ratelimit
