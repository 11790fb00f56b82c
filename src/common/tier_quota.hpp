#pragma once
// How many of something (projects per user, molecules per project) each tier may have.
// A plain value built once from Settings (QUOTA_*); immutable afterwards, so share it by
// const& across threads. Nothing throws.

#include <cstdint>
#include <optional>
#include <string_view>

namespace molvault {

struct TierQuota {
    static constexpr std::int64_t kUnlimited = 0;

    std::int64_t free = kUnlimited;
    std::int64_t pro = kUnlimited;
    std::int64_t enterprise = kUnlimited;

    // The limit for `tier` ("free", "pro", "enterprise"), or std::nullopt when it is unlimited.
    // A tier this code does not know gets the free limit: a quota fails closed.
    [[nodiscard]] std::optional<std::int64_t> limit_for(std::string_view tier) const {
        const std::int64_t limit = tier == "enterprise" ? enterprise : tier == "pro" ? pro : free;
        if (limit == kUnlimited) {
            return std::nullopt;
        }
        return limit;
    }
};

}  // namespace molvault
