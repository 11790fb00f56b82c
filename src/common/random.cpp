#include "common/random.hpp"

#include <array>
#include <cctype>
#include <string_view>
#include <vector>

#include <sodium.h>

#include "common/sodium.hpp"

namespace molvault {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

}  // namespace

std::string uuid_v4() {
    ensure_sodium();
    constexpr std::size_t kUuidBytes = 16;
    std::array<unsigned char, kUuidBytes> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0FU) | 0x40U);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3FU) | 0x80U);
    const std::string hex = to_hex(bytes.data(), bytes.size());
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
           hex.substr(16, 4) + '-' + hex.substr(20);
}

std::string random_token(std::size_t bytes) {
    ensure_sodium();
    std::vector<unsigned char> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes, kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), buffer.data(), buffer.size(), kVariant);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

std::string random_hex(std::size_t bytes) {
    ensure_sodium();
    std::vector<unsigned char> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    return to_hex(buffer.data(), buffer.size());
}

bool is_uuid(std::string_view text) {
    constexpr std::size_t kLength = 36;
    if (text.size() != kLength) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
            return false;
        }
    }
    return true;
}

}  // namespace molvault
