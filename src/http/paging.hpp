#pragma once
// The list conventions every collection route shares (DESIGN.md, "API conventions"):
//   GET ...?limit=N&cursor=C  →  200 {"items": [...], "next_cursor": "C2" | null}
// `limit` defaults to kDefaultPageSize and must be 1..kMaxPageSize. `cursor` is opaque to
// clients: base64url (no padding) of a position text each feature defines, e.g. the keyset
// "(created_at, id)" of the last item of the previous page. Cursors are not signed: every list
// query is also scoped to the caller, so a forged cursor can only move within the caller's own
// data, and a feature must validate the decoded position as untrusted input.
// next_cursor is null on the last page. Thread-safe free functions; page_request() and
// invalid_cursor() give 422 problems (kValidation) naming the `limit` or `cursor` parameter.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "http/message.hpp"

namespace molvault::http {

constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 200;

struct PageRequest {
    std::size_t limit = kDefaultPageSize;
    std::optional<std::string> position;  // the decoded cursor; nullopt for the first page
};

// Reads `limit` and `cursor` from the query string. Throws kValidation when limit is not an
// integer in 1..kMaxPageSize or the cursor is not base64url of a plausible position.
[[nodiscard]] PageRequest page_request(const Request& request);

// The error for a cursor whose decoded position a feature cannot read.
[[nodiscard]] Error invalid_cursor();

// {"items": items, "next_cursor": base64url(next_position) or null}, 200.
[[nodiscard]] Response page_response(
    nlohmann::json items, const std::optional<std::string>& next_position
);

// base64url without padding, as page_response writes cursors; for routes that take the cursor
// elsewhere than the query string (a search body), and for tests.
[[nodiscard]] std::string encode_cursor(std::string_view position);
// The position of a cursor; nullopt when it is not base64url of a plausible position.
[[nodiscard]] std::optional<std::string> decode_cursor(std::string_view cursor);

}  // namespace molvault::http
