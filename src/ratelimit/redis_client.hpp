#pragma once
// A small synchronous Redis client over hiredis for the rate limiter and readiness checks.
// One RedisClient holds at most one connection, reconnecting on demand; thread-safe (calls are
// serialised by an internal mutex, each bounded by the connect/command timeout).
// Failures (unreachable server, timeout, error reply) are return values, never exceptions.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.hpp"
#include "config/redis_url.hpp"

namespace molvault::ratelimit {

using config::parse_redis_url;
using config::RedisEndpoint;

// One reply, flattened: integers as int64, strings as text, arrays as nested replies.
struct RedisReply {
    std::optional<std::int64_t> integer;
    std::optional<std::string> text;
    std::vector<RedisReply> elements;
};

class RedisClient {
public:
    RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout);
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;
    ~RedisClient();

    // Runs one command given as its arguments (binary-safe). Reconnects once if the
    // connection was lost. The error text never contains the arguments.
    [[nodiscard]] Expected<RedisReply, std::string> command(const std::vector<std::string>& args);
    [[nodiscard]] bool ping();

private:
    struct Connection;
    [[nodiscard]] bool connect_locked(std::string& error);

    const RedisEndpoint endpoint_;
    const std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::unique_ptr<Connection> connection_;
};

}  // namespace molvault::ratelimit
