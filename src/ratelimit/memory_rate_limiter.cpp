#include "ratelimit/memory_rate_limiter.hpp"

#include <algorithm>

namespace molvault::ratelimit {
namespace {

// A shard also sweeps early once it holds this many more windows than after its last sweep
// (and at least twice as many), so a burst of new keys cannot outgrow the periodic sweep.
constexpr std::size_t kMinGrowthBeforeEarlySweep = 1024;

// Whole seconds until `ends`, rounded up, so a client told to wait never comes back early.
std::chrono::seconds seconds_until(
    std::chrono::steady_clock::time_point ends, std::chrono::steady_clock::time_point now
) {
    if (ends <= now) {
        return std::chrono::seconds(0);
    }
    return std::chrono::ceil<std::chrono::seconds>(ends - now);
}

}  // namespace

MemoryRateLimiter::MemoryRateLimiter(Clock clock) : clock_(std::move(clock)) {
    const auto now = clock_();
    for (auto& shard : shards_) {
        shard.next_sweep = now + kSweepInterval;
    }
}

Decision MemoryRateLimiter::hit(const RateLimitRule& rule, const std::string& key) {
    // The rule name and the key are joined with a byte neither contains, so ("a", "b:c") and
    // ("a:b", "c") stay distinct.
    std::string full_key;
    full_key.reserve(rule.name.size() + 1 + key.size());
    full_key.append(rule.name).push_back('\0');
    full_key.append(key);

    Shard& shard = shards_[std::hash<std::string>{}(full_key) % kShardCount];
    const auto now = clock_();
    const std::lock_guard lock(shard.mutex);
    const auto size = shard.windows.size();
    if (now >= shard.next_sweep || (size >= shard.size_after_sweep * 2 &&
                                    size >= shard.size_after_sweep + kMinGrowthBeforeEarlySweep)) {
        sweep_locked(shard, now);
    }
    auto& window = shard.windows[std::move(full_key)];
    if (window.count == 0 || window.ends <= now) {
        window.count = 0;
        window.ends = now + rule.window;
    }
    // Capped so a flood of refused hits cannot overflow the counter.
    window.count = std::min(window.count + 1, rule.limit + 1);

    Decision decision;
    decision.limit = rule.limit;
    decision.allowed = window.count <= rule.limit;
    decision.remaining = std::max(0, rule.limit - window.count);
    decision.reset_after = seconds_until(window.ends, now);
    return decision;
}

std::size_t MemoryRateLimiter::size() const {
    std::size_t total = 0;
    for (const auto& shard : shards_) {
        const std::lock_guard lock(shard.mutex);
        total += shard.windows.size();
    }
    return total;
}

void MemoryRateLimiter::sweep_locked(Shard& shard, std::chrono::steady_clock::time_point now) {
    std::erase_if(shard.windows, [now](const auto& entry) { return entry.second.ends <= now; });
    shard.size_after_sweep = shard.windows.size();
    shard.next_sweep = now + kSweepInterval;
}

}  // namespace molvault::ratelimit
