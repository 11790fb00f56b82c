#pragma once
// MemoryRateLimiter: fixed-window counters in this process's memory. A key's window starts at
// its first hit and lasts rule.window; the hit that would exceed rule.limit, and every later hit
// in that window, is refused. Counters are not shared with other instances (use
// RedisRateLimiter for that) and are lost on restart.
//
// Thread-safe: keys are spread over independently locked shards, so concurrent hits on
// different keys rarely contend. Memory stays bounded by the keys hit within one window:
// each shard drops expired windows every kSweepInterval, and sooner when it has doubled in
// size since its last sweep. hit() does not throw (except std::bad_alloc).

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ratelimit/rate_limiter.hpp"

namespace molvault::ratelimit {

// The time source; tests inject a fake one. Must be monotonic and thread-safe.
using Clock = std::function<std::chrono::steady_clock::time_point()>;

class MemoryRateLimiter final : public RateLimiter {
public:
    static constexpr std::size_t kShardCount = 16;
    static constexpr std::chrono::seconds kSweepInterval{60};

    explicit MemoryRateLimiter(Clock clock = std::chrono::steady_clock::now);

    [[nodiscard]] Decision hit(const RateLimitRule& rule, const std::string& key) override;

    // Number of windows held (live or not yet swept). For tests and diagnostics.
    [[nodiscard]] std::size_t size() const;

private:
    struct Window {
        int count = 0;
        std::chrono::steady_clock::time_point ends;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, Window> windows;
        std::chrono::steady_clock::time_point next_sweep;
        std::size_t size_after_sweep = 0;
    };

    static void sweep_locked(Shard& shard, std::chrono::steady_clock::time_point now);

    const Clock clock_;
    std::array<Shard, kShardCount> shards_;
};

}  // namespace molvault::ratelimit
