#pragma once
// Password hashing: bcrypt ($2b$, libxcrypt) by default, argon2id (libsodium) selectable.
// bcrypt reads only 72 bytes, so a longer password is first pre-hashed with HMAC-SHA-384 keyed
// by the server pepper and base64-encoded (OWASP's recommendation), never truncated silently.
// verify() reports whether a good password's hash uses outdated parameters (lower cost, other
// algorithm) so the caller can re-hash it. All functions block for the full hash cost (bcrypt
// cost 12 ≈ 0.25 s): call them on the hashing pool, never on an I/O thread or inside a database
// transaction. Thread-safe: immutable after construction.

#include <string>
#include <string_view>

namespace molvault::auth {

enum class HashAlgorithm { kBcrypt, kArgon2id };

struct HasherOptions {
    HashAlgorithm algorithm = HashAlgorithm::kBcrypt;
    int bcrypt_rounds = 12;                  // BCRYPT_ROUNDS; 4..31
    unsigned long long argon2_opslimit = 3;  // libsodium's MODERATE-ish defaults, see .cpp
    std::size_t argon2_memlimit = 64 * 1024 * 1024;
    std::string pepper;  // PASSWORD_PEPPER: HMAC key for the >72-byte pre-hash
};

struct Verification {
    bool ok = false;
    bool needs_rehash = false;  // only meaningful when ok
};

class PasswordHasher {
public:
    explicit PasswordHasher(HasherOptions options);

    // A new salted hash in modular crypt format. Throws std::runtime_error if the library fails.
    [[nodiscard]] std::string hash(std::string_view password) const;
    // Compares in constant time. A malformed stored hash verifies as false.
    [[nodiscard]] Verification verify(std::string_view password, std::string_view stored) const;
    // Spends the same time as verify() against a real hash, for unknown users (no timing oracle).
    void verify_dummy(std::string_view password) const;

private:
    HasherOptions options_;
    std::string dummy_hash_;  // a hash of a random password, made once at construction
};

}  // namespace molvault::auth
