#pragma once
// REDIS_URL parsing: redis://[:password@]host[:port][/db]. Pure function; thread-safe.

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace molvault::config {

struct RedisEndpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string password;
    int database = 0;
};

// Parses redis://[:password@]host[:port][/db].
[[nodiscard]] Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace molvault::config
