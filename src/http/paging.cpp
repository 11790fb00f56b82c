#include "http/paging.hpp"

#include <charconv>

#include <sodium.h>

#include "common/sodium.hpp"
#include "http/json.hpp"

namespace molvault::http {
namespace {

// A position is a few short fields; anything longer is not one of ours.
constexpr std::size_t kMaxCursorLength = 512;
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

}  // namespace

std::optional<std::string> decode_cursor(std::string_view cursor) {
    if (cursor.empty() || cursor.size() > kMaxCursorLength) {
        return std::nullopt;
    }
    ensure_sodium();
    std::string bytes(cursor.size(), '\0');
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(
            reinterpret_cast<unsigned char*>(bytes.data()),
            bytes.size(),
            cursor.data(),
            cursor.size(),
            nullptr,
            &length,
            &end,
            kVariant
        ) != 0 ||
        end != cursor.data() + cursor.size()) {
        return std::nullopt;
    }
    bytes.resize(length);
    return bytes;
}

Error invalid_cursor() { return validation_error("cursor", "is not a cursor this list returned"); }

PageRequest page_request(const Request& request) {
    PageRequest page;
    if (const auto limit = request.query_param("limit")) {
        std::size_t value = 0;
        const auto* const end = limit->data() + limit->size();
        const auto [ptr, ec] = std::from_chars(limit->data(), end, value);
        if (limit->empty() || ec != std::errc{} || ptr != end || value < 1 ||
            value > kMaxPageSize) {
            throw validation_error(
                "limit", "must be an integer from 1 to " + std::to_string(kMaxPageSize)
            );
        }
        page.limit = value;
    }
    if (const auto cursor = request.query_param("cursor")) {
        page.position = decode_cursor(*cursor);
        if (!page.position) {
            throw invalid_cursor();
        }
    }
    return page;
}

std::string encode_cursor(std::string_view position) {
    ensure_sodium();
    std::string out(sodium_base64_ENCODED_LEN(position.size(), kVariant), '\0');
    sodium_bin2base64(
        out.data(),
        out.size(),
        reinterpret_cast<const unsigned char*>(position.data()),
        position.size(),
        kVariant
    );
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

Response page_response(nlohmann::json items, const std::optional<std::string>& next_position) {
    nlohmann::json body = {{"items", std::move(items)}, {"next_cursor", nullptr}};
    if (next_position) {
        body["next_cursor"] = encode_cursor(*next_position);
    }
    return json_response(status::kOk, body);
}

}  // namespace molvault::http
