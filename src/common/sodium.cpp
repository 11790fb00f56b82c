#include "common/sodium.hpp"

#include <array>
#include <stdexcept>

#include <sodium.h>

namespace molvault {

void ensure_sodium() {
    static const bool kReady = [] { return sodium_init() >= 0; }();
    if (!kReady) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(
        digest.data(),
        reinterpret_cast<const unsigned char*>(bytes.data()),  // NOLINT: C API takes bytes
        bytes.size()
    );
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

}  // namespace molvault
