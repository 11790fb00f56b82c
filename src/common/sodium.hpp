#pragma once
// libsodium initialisation, done once per process before any libsodium call that needs it
// (random numbers, password hashing), and the digests built on it. Thread-safe: sodium_init()
// runs once behind a function-local static. Throws std::runtime_error if libsodium cannot
// initialise.

#include <string>
#include <string_view>

namespace molvault {

void ensure_sodium();

// SHA-256 of `bytes` as 64 lower-case hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace molvault
