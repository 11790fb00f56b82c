#include "config/rate_limit_spec.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace molvault::config {
namespace {

constexpr int kMaxLimit = 1'000'000'000;
constexpr std::chrono::seconds kMaxWindow = std::chrono::hours(24);

constexpr std::array<std::pair<std::string_view, std::chrono::seconds>, 4> kUnits = {{
    {"second", std::chrono::seconds(1)},
    {"minute", std::chrono::minutes(1)},
    {"hour", std::chrono::hours(1)},
    {"day", std::chrono::hours(24)},
}};

// Parses all of `text` as a decimal integer; nothing else may follow.
bool parse_int(std::string_view text, long long& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return !text.empty() && ec == std::errc{} && ptr == end;
}

Unexpected<std::string> bad(std::string_view why) {
    return Unexpected<std::string>(
        std::string(why) + " (expected N/second, N/minute, N/hour, N/day or N/<k>s)"
    );
}

}  // namespace

Expected<RateLimitSpec, std::string> parse_rate_limit_spec(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return bad("missing '/'");
    }
    long long limit = 0;
    if (!parse_int(text.substr(0, slash), limit) || limit < 1 || limit > kMaxLimit) {
        return bad("the count must be an integer from 1 to 1000000000");
    }
    const auto unit = text.substr(slash + 1);
    RateLimitSpec spec;
    spec.limit = static_cast<int>(limit);
    for (const auto& [name, length] : kUnits) {
        if (unit == name) {
            spec.window = length;
            return spec;
        }
    }
    long long seconds = 0;
    if (unit.size() < 2 || unit.back() != 's' ||
        !parse_int(unit.substr(0, unit.size() - 1), seconds) || seconds < 1 ||
        seconds > kMaxWindow.count()) {
        return bad("the window must be second, minute, hour, day or 1s to 86400s");
    }
    spec.window = std::chrono::seconds(seconds);
    return spec;
}

}  // namespace molvault::config
