#include "search/search_keys.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>

#include "common/random.hpp"

namespace molvault::search {
namespace {

using KeyBytes = std::array<std::uint8_t, 16>;

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c - 'A' + 10;  // is_uuid admitted only hex digits
}

KeyBytes key_bytes(std::string_view uuid) {
    if (!is_uuid(uuid)) {
        throw std::invalid_argument("not a UUID");
    }
    KeyBytes bytes{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < uuid.size(); ++i) {
        if (uuid[i] == '-') {
            continue;
        }
        bytes[out++] = static_cast<std::uint8_t>(hex_value(uuid[i]) * 16 + hex_value(uuid[i + 1]));
        ++i;
    }
    return bytes;
}

std::string text_of(const KeyBytes& bytes) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    std::string text;
    text.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text += '-';
        }
        text += kDigits[bytes[i] >> 4U];
        text += kDigits[bytes[i] & 0xFU];
    }
    return text;
}

}  // namespace

chem::MoleculeKey molecule_key(std::string_view uuid) { return {key_bytes(uuid)}; }
chem::ProjectKey project_key(std::string_view uuid) { return {key_bytes(uuid)}; }
std::string uuid_text(const chem::MoleculeKey& key) { return text_of(key.bytes); }
std::string uuid_text(const chem::ProjectKey& key) { return text_of(key.bytes); }

}  // namespace molvault::search
