#pragma once
// Email addresses: validation and the normalised form used for lookups and uniqueness
// (trimmed, lower-cased as a whole, so Ada@Example.com and ada@example.com are one account).
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace molvault::auth {

// The normalised address, or nullopt (with a client-safe reason) when it is not acceptable.
struct EmailCheck {
    std::optional<std::string> normalized;
    std::string trimmed;
    std::string problem;
};
[[nodiscard]] EmailCheck check_email(std::string_view email);

}  // namespace molvault::auth
