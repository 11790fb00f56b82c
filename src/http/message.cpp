#include "http/message.hpp"

#include <algorithm>
#include <cctype>

namespace molvault::http {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    const auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower >= 'a' && lower <= 'f') {
        return lower - 'a' + 10;
    }
    return -1;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::string> Headers::get(std::string_view name) const {
    for (const auto& [key, value] : fields_) {
        if (iequals(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : fields_) {
        if (iequals(key, name)) {
            values.push_back(value);
        }
    }
    return values;
}

void Headers::set(std::string_view name, std::string value) {
    erase(name);
    fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string_view name, std::string value) {
    fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::erase(std::string_view name) {
    std::erase_if(fields_, [name](const auto& field) { return iequals(field.first, name); });
}

std::optional<std::string> url_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= text.size()) {
                return std::nullopt;
            }
            const int high = hex_digit(text[i + 1]);
            const int low = hex_digit(text[i + 2]);
            if (high < 0 || low < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        const auto key = url_decode(pair.substr(0, eq), true);
        if (key && *key == name) {
            return eq == std::string_view::npos ? std::optional<std::string>("")
                                                : url_decode(pair.substr(eq + 1), true);
        }
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    return std::nullopt;
}

}  // namespace molvault::http
