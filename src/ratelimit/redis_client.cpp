#include "ratelimit/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace molvault::ratelimit {
namespace {

struct ContextDeleter {
    void operator()(redisContext* context) const noexcept { redisFree(context); }
};
struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval to_timeval(std::chrono::milliseconds timeout) {
    const auto count = timeout.count();
    return timeval{
        static_cast<time_t>(count / 1000), static_cast<suseconds_t>((count % 1000) * 1000)};
}

RedisReply convert(const redisReply& reply) {
    RedisReply out;
    switch (reply.type) {
        case REDIS_REPLY_INTEGER:
            out.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            out.text = std::string(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            for (std::size_t i = 0; i < reply.elements; ++i) {
                out.elements.push_back(convert(*reply.element[i]));
            }
            break;
        default:
            break;
    }
    return out;
}

}  // namespace

struct RedisClient::Connection {
    std::unique_ptr<redisContext, ContextDeleter> context;
};

RedisClient::RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

RedisClient::~RedisClient() = default;

bool RedisClient::connect_locked(std::string& error) {
    const auto tv = to_timeval(timeout_);
    std::unique_ptr<redisContext, ContextDeleter> context(
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv)
    );
    if (!context || context->err != 0) {
        error = context ? context->errstr : "cannot allocate a Redis context";
        return false;
    }
    redisSetTimeout(context.get(), tv);
    auto authenticate = [&context](const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const auto& arg : args) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        const ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
            context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()
        )));
        return reply && reply->type != REDIS_REPLY_ERROR;
    };
    if (!endpoint_.password.empty() && !authenticate({"AUTH", endpoint_.password})) {
        error = "Redis authentication failed";
        return false;
    }
    if (endpoint_.database != 0 && !authenticate({"SELECT", std::to_string(endpoint_.database)})) {
        error = "Redis SELECT failed";
        return false;
    }
    connection_ = std::make_unique<Connection>();
    connection_->context = std::move(context);
    return true;
}

Expected<RedisReply, std::string> RedisClient::command(const std::vector<std::string>& args) {
    const std::lock_guard lock(mutex_);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    std::string error;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!connection_ && !connect_locked(error)) {
            return Unexpected<std::string>(error);
        }
        const ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
            connection_->context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()
        )));
        if (!reply) {
            error = connection_->context->errstr;
            connection_.reset();
            continue;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            return Unexpected<std::string>(
                std::string("Redis error: ") + std::string(reply->str, reply->len)
            );
        }
        return convert(*reply);
    }
    return Unexpected<std::string>(error);
}

bool RedisClient::ping() {
    const auto reply = command({"PING"});
    return reply && reply->text == "PONG";
}

}  // namespace molvault::ratelimit
