#pragma once
// RateLimitSpec: one configured rate limit ("5/minute"), as read from RATE_LIMIT_* variables.
// Formats: N/second, N/minute, N/hour, N/day, or N/<k>s (k seconds, e.g. "5/2s", for tests).
// N is 1 to 1,000,000,000; a window is 1 s to 1 day. Pure value type and function; thread-safe.
// A bad spec is an expected outcome: parse_rate_limit_spec returns the reason, never throws.

#include <chrono>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace molvault::config {

struct RateLimitSpec {
    int limit = 0;
    std::chrono::seconds window{0};

    bool operator==(const RateLimitSpec&) const = default;
};

[[nodiscard]] Expected<RateLimitSpec, std::string> parse_rate_limit_spec(std::string_view text);

}  // namespace molvault::config
