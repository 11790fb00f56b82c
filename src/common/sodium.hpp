#pragma once
// libsodium initialisation, done once per process before any libsodium call that needs it
// (random numbers, password hashing). Thread-safe: sodium_init() runs once behind a
// function-local static. Throws std::runtime_error if libsodium cannot initialise.

namespace molvault {

void ensure_sodium();

}  // namespace molvault
