#pragma once
// Cryptographically secure random values (libsodium). Thread-safe.

#include <cstddef>
#include <string>

namespace molvault {

// A random version-4 UUID in canonical lower-case text form.
[[nodiscard]] std::string uuid_v4();
// `bytes` random bytes, base64url without padding (for tokens and secrets).
[[nodiscard]] std::string random_token(std::size_t bytes);
// `bytes` random bytes as lower-case hex (for request ids).
[[nodiscard]] std::string random_hex(std::size_t bytes);
// True for a canonical UUID text (8-4-4-4-12 hex digits, any case).
[[nodiscard]] bool is_uuid(std::string_view text);

}  // namespace molvault
