#pragma once
// Percent-decoding of URL components (RFC 3986), shared by URL parsing in config/ and http/.
// Pure function; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace molvault {

// The decoded text, or nullopt on a malformed escape. With `plus_is_space` (query strings),
// '+' decodes to a space.
[[nodiscard]] std::optional<std::string> percent_decode(
    std::string_view text, bool plus_is_space = false
);

}  // namespace molvault
