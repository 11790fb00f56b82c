#include "common/text.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace molvault {

std::optional<std::u32string> decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        char32_t code = 0;
        char32_t min = 0;
        if (lead < 0x80U) {
            out.push_back(lead);
            ++i;
            continue;
        }
        if ((lead & 0xE0U) == 0xC0U) {
            length = 2;
            code = lead & 0x1FU;
            min = 0x80;
        } else if ((lead & 0xF0U) == 0xE0U) {
            length = 3;
            code = lead & 0x0FU;
            min = 0x800;
        } else if ((lead & 0xF8U) == 0xF0U) {
            length = 4;
            code = lead & 0x07U;
            min = 0x10000;
        } else {
            return std::nullopt;  // a continuation byte or 0xF8..0xFF where a character starts
        }
        if (text.size() - i < length) {
            return std::nullopt;
        }
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0U) != 0x80U) {
                return std::nullopt;
            }
            code = (code << 6U) | (next & 0x3FU);
        }
        const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
        if (code < min || code > 0x10FFFF || surrogate) {
            return std::nullopt;
        }
        out.push_back(code);
        i += length;
    }
    return out;
}

std::string encode_utf8(std::u32string_view code_points) {
    std::string out;
    out.reserve(code_points.size());
    for (const char32_t c : code_points) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out.push_back(static_cast<char>(0xC0U | (c >> 6U)));
            out.push_back(static_cast<char>(0x80U | (c & 0x3FU)));
        } else if (c < 0x10000) {
            out.push_back(static_cast<char>(0xE0U | (c >> 12U)));
            out.push_back(static_cast<char>(0x80U | ((c >> 6U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | (c & 0x3FU)));
        } else {
            out.push_back(static_cast<char>(0xF0U | (c >> 18U)));
            out.push_back(static_cast<char>(0x80U | ((c >> 12U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | ((c >> 6U) & 0x3FU)));
            out.push_back(static_cast<char>(0x80U | (c & 0x3FU)));
        }
    }
    return out;
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool is_unicode_space(char32_t c) {
    return c == 0x20 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view trim_ascii_whitespace(std::string_view text) {
    const auto first = text.find_first_not_of(kAsciiWhitespace);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kAsciiWhitespace) - first + 1);
}

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

CheckedLabel check_label(std::string_view raw, std::size_t max_length) {
    const auto code_points = decode_utf8(raw);
    if (!code_points) {
        return {"", "must be valid UTF-8 text"};
    }
    std::u32string_view trimmed(*code_points);
    while (!trimmed.empty() && is_unicode_space(trimmed.front())) {
        trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && is_unicode_space(trimmed.back())) {
        trimmed.remove_suffix(1);
    }
    if (trimmed.empty()) {
        return {"", "must not be empty"};
    }
    if (trimmed.size() > max_length) {
        return {"", fmt::format("must be at most {} characters", max_length)};
    }
    if (std::any_of(trimmed.begin(), trimmed.end(), is_control)) {
        return {"", "must not contain control characters"};
    }
    return {encode_utf8(trimmed), ""};
}

std::string check_free_text(std::string_view text, std::size_t max_length) {
    const auto code_points = decode_utf8(text);
    if (!code_points) {
        return "must be valid UTF-8 text";
    }
    if (code_points->size() > max_length) {
        return fmt::format("must be at most {} characters", max_length);
    }
    const bool forbidden_control =
        std::any_of(code_points->begin(), code_points->end(), [](char32_t c) {
            return is_control(c) && c != U'\t' && c != U'\n' && c != U'\r';
        });
    if (forbidden_control) {
        return "must not contain control characters other than tab and line breaks";
    }
    return {};
}

}  // namespace molvault
