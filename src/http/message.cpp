#include "http/message.hpp"

#include <algorithm>
#include <cctype>

#include "common/percent_decode.hpp"

namespace molvault::http {

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

std::optional<std::string> Request::query_param(std::string_view name) const {
    std::string_view rest = query;
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        const auto key = percent_decode(pair.substr(0, eq), true);
        if (key && *key == name) {
            return eq == std::string_view::npos ? std::optional<std::string>("")
                                                : percent_decode(pair.substr(eq + 1), true);
        }
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    return std::nullopt;
}

}  // namespace molvault::http
