#include "app/app.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "common/ip_network.hpp"
#include "common/log.hpp"
#include "common/worker_pool.hpp"
#include "http/json.hpp"
#include "http/middleware.hpp"
#include "http/server.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"

namespace molvault::app {
namespace {

constexpr std::chrono::milliseconds kRedisTimeout{500};
constexpr int kMaxTestSleepMs = 10'000;

// ENV=test only: a handler that takes as long as asked, so end-to-end tests can hold a request
// in flight (graceful shutdown, worker-queue saturation). Never registered otherwise.
void add_test_routes(http::Router& router) {
    router.get("/__test/sleep", [](const http::Request& request) {
        const auto text = request.query_param("ms").value_or("0");
        const int ms = std::clamp(std::atoi(text.c_str()), 0, kMaxTestSleepMs);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return http::json_response(http::status::kOk, {{"slept_ms", ms}});
    });
}

ratelimit::RateLimitRule rule(std::string name, const config::RateLimitSpec& spec) {
    return {std::move(name), spec.limit, spec.window};
}

std::vector<IpNetwork> trusted_proxies(const config::Settings& settings) {
    std::vector<IpNetwork> networks;
    for (const auto& text : settings.trusted_proxies) {
        const auto network = IpNetwork::parse(text);
        if (!network) {
            throw std::invalid_argument("TRUSTED_PROXIES is invalid");  // validated by config/
        }
        networks.push_back(*network);
    }
    return networks;
}

}  // namespace

std::vector<ratelimit::RouteRule> route_rate_limits(const config::Settings& settings) {
    return {
        {"POST", "/api/v1/auth/login", rule("login", settings.rate_limit_login)},
        {"POST", "/api/v1/auth/register", rule("register", settings.rate_limit_register)},
        {"POST", "/api/v1/auth/refresh", rule("refresh", settings.rate_limit_refresh)},
    };
}

ratelimit::TierRules tier_rate_limits(const config::Settings& settings) {
    return {
        rule("user_free", settings.rate_limit_free),
        rule("user_pro", settings.rate_limit_pro),
        rule("user_enterprise", settings.rate_limit_enterprise),
    };
}

db::DatabaseOptions database_options(const config::Settings& settings, const std::string& url) {
    db::DatabaseOptions options;
    options.url = url;
    options.pool.size = settings.db_pool_size;
    options.pool.max_overflow = settings.db_pool_max_overflow;
    options.pool.timeout = settings.db_pool_timeout;
    options.pool.pre_ping = settings.db_pool_pre_ping;
    options.pool.recycle = settings.db_pool_recycle;
    options.slow_query = settings.slow_query;
    options.sqlite_busy_timeout = settings.sqlite_busy_timeout;
    return options;
}

App::App(config::Settings settings)
    : settings_(std::move(settings)),
      database_(db::Database::open(database_options(settings_, settings_.database_url))) {
    metrics_.set_pool_source([db = database_.get()] { return db->pool_stats(); });
    readiness_checks_.push_back({"database", [db = database_.get()] { return db->ping(); }});
    if (!settings_.redis_url.empty()) {
        const auto endpoint = ratelimit::parse_redis_url(settings_.redis_url);
        if (!endpoint) {
            throw std::invalid_argument(endpoint.error());
        }
        redis_ = std::make_unique<ratelimit::RedisClient>(*endpoint, kRedisTimeout);
        readiness_checks_.push_back({"redis", [redis = redis_.get()] { return redis->ping(); }});
    }

    const bool production = settings_.env == config::Environment::kProduction;
    router_.use(http::access_log(metrics_));
    router_.use(http::security_headers(production));
    router_.use(http::cors(settings_.allowed_origins));
    if (settings_.rate_limit_enabled) {
        if (redis_) {
            rate_limiter_ = std::make_unique<ratelimit::RedisRateLimiter>(*redis_, [this] {
                metrics_.increment("rate_limit_redis_fallback");
            });
        } else {
            rate_limiter_ = std::make_unique<ratelimit::MemoryRateLimiter>();
        }
        // The per-user limiter (user_rate_limit with tier_rate_limits) joins here, after the
        // authentication middleware, once that exists.
        router_.use(ratelimit::route_rate_limit(
            *rate_limiter_,
            route_rate_limits(settings_),
            ratelimit::ClientIpResolver(trusted_proxies(settings_))
        ));
        log::info(
            "rate_limit_enabled",
            {{"store", redis_ ? "redis" : "memory"},
             {"trusted_proxies", settings_.trusted_proxies.size()}}
        );
    } else {
        log::warn("rate_limit_disabled", {});
    }
    router_.use(http::catch_all());
    ops::add_health_routes(router_, readiness_checks_, metrics_);
    if (settings_.env == config::Environment::kTest) {
        add_test_routes(router_);
    }
}

App::~App() = default;

int App::serve() {
    WorkerPool workers(settings_.worker_threads, settings_.worker_queue_limit);
    http::ServerOptions options;
    options.host = settings_.host;
    options.port = static_cast<std::uint16_t>(settings_.port);
    options.io_threads = settings_.io_threads;
    options.max_body_bytes = settings_.max_body_bytes;
    options.max_header_bytes = settings_.max_header_bytes;
    options.header_timeout = settings_.header_timeout;
    options.body_timeout = settings_.body_timeout;
    options.idle_timeout = settings_.idle_timeout;
    options.shutdown_grace = settings_.shutdown_grace;
    options.production = settings_.env == config::Environment::kProduction;
    http::Server server(options, router_, workers);
    const auto port = server.listen();
    log::info(
        "listening",
        {{"host", settings_.host},
         {"port", port},
         {"env", config::environment_name(settings_.env)},
         {"database", db::backend_name(database_->backend())},
         {"workers", settings_.worker_threads},
         {"io_threads", settings_.io_threads}}
    );
    server.run();
    workers.stop();
    log::info("stopped", {});
    return 0;
}

}  // namespace molvault::app
