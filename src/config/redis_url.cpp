#include "config/redis_url.hpp"

#include <charconv>

namespace molvault::config {

Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url) {
    constexpr std::string_view kScheme = "redis://";
    if (!url.starts_with(kScheme)) {
        return Unexpected<std::string>("REDIS_URL must start with redis://");
    }
    url.remove_prefix(kScheme.size());
    RedisEndpoint endpoint;
    if (const auto slash = url.find('/'); slash != std::string_view::npos) {
        const auto db = url.substr(slash + 1);
        if (!db.empty()) {
            const auto [ptr, ec] =
                std::from_chars(db.data(), db.data() + db.size(), endpoint.database);
            if (ec != std::errc{} || ptr != db.data() + db.size()) {
                return Unexpected<std::string>("REDIS_URL has a bad database number");
            }
        }
        url = url.substr(0, slash);
    }
    if (const auto at = url.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = url.substr(0, at);
        const auto colon = userinfo.find(':');
        endpoint.password =
            std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
        url = url.substr(at + 1);
    }
    if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        const auto port = url.substr(colon + 1);
        const auto [ptr, ec] =
            std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
        if (ec != std::errc{} || ptr != port.data() + port.size()) {
            return Unexpected<std::string>("REDIS_URL has a bad port");
        }
        url = url.substr(0, colon);
    }
    if (!url.empty()) {
        endpoint.host = std::string(url);
    }
    return endpoint;
}

}  // namespace molvault::config
