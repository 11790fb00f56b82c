#include "http/cookies.hpp"

namespace molvault::http {

std::optional<std::string> cookie(const Request& request, std::string_view name) {
    for (const auto& header : request.headers.get_all("Cookie")) {
        std::string_view rest = header;
        while (!rest.empty()) {
            const auto semicolon = rest.find(';');
            auto pair = rest.substr(0, semicolon);
            rest = semicolon == std::string_view::npos ? std::string_view{}
                                                       : rest.substr(semicolon + 1);
            while (!pair.empty() && pair.front() == ' ') {
                pair.remove_prefix(1);
            }
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
                auto value = pair.substr(eq + 1);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                    value = value.substr(1, value.size() - 2);
                }
                return std::string(value);
            }
        }
    }
    return std::nullopt;
}

std::string set_cookie_value(
    std::string_view name, std::string_view value, const CookieOptions& options
) {
    std::string out;
    out.append(name).append("=").append(value);
    out.append("; Path=").append(options.path);
    out.append("; Max-Age=").append(std::to_string(options.max_age.count()));
    if (options.http_only) {
        out.append("; HttpOnly");
    }
    if (options.secure) {
        out.append("; Secure");
    }
    out.append("; SameSite=").append(options.same_site);
    return out;
}

}  // namespace molvault::http
