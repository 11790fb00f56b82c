#pragma once
// Reading the Cookie header and writing Set-Cookie values. Pure functions; thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace molvault::http {

// The value of cookie `name` in the request's Cookie header(s), if present.
[[nodiscard]] std::optional<std::string> cookie(const Request& request, std::string_view name);

struct CookieOptions {
    std::string path = "/";
    std::chrono::seconds max_age{0};  // 0 expires the cookie now
    bool http_only = true;
    bool secure = false;
    std::string same_site = "Lax";  // Lax | Strict | None
};

[[nodiscard]] std::string set_cookie_value(
    std::string_view name, std::string_view value, const CookieOptions& options
);

}  // namespace molvault::http
