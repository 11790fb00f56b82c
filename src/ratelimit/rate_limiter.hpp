#pragma once
// Fixed-window rate limiting. A rule allows `limit` hits per `window` for one key (an IP or a
// user id, prefixed by the rule name). Implementations: MemoryRateLimiter (one process) and
// RedisRateLimiter (shared by every instance; falls back to memory when Redis is unreachable).
// Thread-safe: share one instance.

#include <chrono>
#include <memory>
#include <string>

namespace molvault::ratelimit {

struct RateLimitRule {
    std::string name;  // e.g. "login"; part of the key
    int limit = 0;
    std::chrono::seconds window{60};
};

struct Decision {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;                    // after this hit, never negative
    std::chrono::seconds reset_after{0};  // until the window ends (X-RateLimit-Reset)
};

class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    // Counts one hit for `key` under `rule` and says whether it is allowed.
    [[nodiscard]] virtual Decision hit(const RateLimitRule& rule, const std::string& key) = 0;
};

}  // namespace molvault::ratelimit
