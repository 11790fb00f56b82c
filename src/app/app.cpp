#include "app/app.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <thread>

#include "auth/auth_routes.hpp"
#include "common/ip_network.hpp"
#include "common/log.hpp"
#include "common/worker_pool.hpp"
#include "http/json.hpp"
#include "http/middleware.hpp"
#include "http/server.hpp"
#include "molecules/molecule_routes.hpp"
#include "projects/project_routes.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "search/search_routes.hpp"

namespace molvault::app {
namespace {

constexpr std::chrono::milliseconds kRedisTimeout{500};
constexpr std::chrono::hours kCleanupPeriod{24};
constexpr int kMaxTestSleepMs = 10'000;

constexpr int kMaxTestStreamChunks = 100'000;
constexpr std::size_t kTestStreamChunkBytes = 32 * 1024;

int query_int(const http::Request& request, std::string_view name, int max) {
    const auto text = request.query_param(name).value_or("0");
    return std::clamp(std::atoi(text.c_str()), 0, max);
}

// ENV=test only, never registered otherwise: handlers that let end-to-end tests hold a request
// in flight (graceful shutdown, worker-queue saturation) and exercise streamed bodies through
// the production middleware stack (authentication before an upload is read).
void add_test_routes(http::Router& router, const config::Settings& settings) {
    router.get("/__test/sleep", [](const http::Request& request) {
        const int ms = query_int(request, "ms", kMaxTestSleepMs);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        return http::json_response(http::status::kOk, {{"slept_ms", ms}});
    });
    // ?chunks=N of 32 KiB each, every byte 'x'.
    router.get("/__test/stream", [](const http::Request& request) {
        http::Response response;
        response.set("Content-Type", "text/plain");
        response.stream = http::make_body_stream(
            [left = query_int(request, "chunks", kMaxTestStreamChunks)](
            ) mutable -> std::optional<std::string> {
                if (left == 0) {
                    return std::nullopt;
                }
                --left;
                return std::string(kTestStreamChunkBytes, 'x');
            }
        );
        return response;
    });
    // Signed-in callers only (checked before any of the body is read); counts the body.
    router.post(
        "/__test/upload",
        [](const http::Request& request) {
            (void)auth::require_auth(request);
            std::uint64_t bytes = 0;
            while (const auto piece = request.body_reader->read_some()) {
                bytes += piece->size();
            }
            return http::json_response(
                http::status::kOk,
                {{"bytes", bytes},
                 {"peak_buffered_bytes", request.body_reader->peak_buffered_bytes()}}
            );
        },
        http::RouteOptions{.max_body_bytes = settings.import_max_bytes, .streamed_body = true}
    );
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

namespace {

auth::HasherOptions hasher_options(const config::Settings& settings) {
    auth::HasherOptions options;
    options.algorithm = settings.password_hash_algorithm;
    options.bcrypt_rounds = settings.bcrypt_rounds;
    options.pepper = settings.password_pepper;
    return options;
}

auth::TokenOptions token_options(const config::Settings& settings) {
    auth::TokenOptions options;
    options.secret = settings.jwt_secret_key;
    options.issuer = settings.jwt_issuer;
    options.audience = settings.jwt_audience;
    options.access_ttl = settings.access_token_ttl;
    return options;
}

auth::AuthOptions auth_options(const config::Settings& settings) {
    auth::AuthOptions options;
    options.lockout_threshold = settings.lockout_threshold;
    options.lockout_duration = settings.lockout_duration;
    options.refresh_ttl = settings.refresh_token_ttl;
    options.reuse_grace = settings.refresh_reuse_grace;
    options.sealing_secret = settings.jwt_secret_key;
    return options;
}

search::LiveIndexOptions search_options(const config::Settings& settings) {
    search::LiveIndexOptions options;
    options.index.threads = static_cast<unsigned>(settings.search_threads);
    if (settings.search_match_store == "molecules") {
        options.match_store = chem::MatchStore::kMolecules;
    } else if (settings.search_match_store == "pickles") {
        options.match_store = chem::MatchStore::kPickles;
    }
    options.parsed_max = settings.search_parsed_max;
    options.poll_interval = settings.search_poll_interval;
    options.change_retention = settings.search_change_retention;
    return options;
}

auth::CookiePolicy cookie_policy(const config::Settings& settings) {
    auth::CookiePolicy policy;
    policy.secure = settings.cookie_secure;
    std::string same_site = settings.cookie_samesite;
    same_site[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(same_site[0])));
    policy.same_site = same_site;
    policy.access_ttl = settings.access_token_ttl;
    policy.refresh_ttl = settings.refresh_token_ttl;
    return policy;
}

}  // namespace

App::App(config::Settings settings)
    : settings_(std::move(settings)),
      database_(db::Database::open(database_options(settings_, settings_.database_url))),
      password_hasher_(hasher_options(settings_)),
      hashing_pool_(settings_.hash_threads, settings_.hash_queue_limit),
      tokens_(token_options(settings_)),
      auth_(
          *database_,
          password_policy_,
          password_hasher_,
          hashing_pool_,
          tokens_,
          auth_options(settings_)
      ),
      projects_(
          *database_,
          TierQuota{
              settings_.quota_projects_free,
              settings_.quota_projects_pro,
              settings_.quota_projects_enterprise}
      ),
      molecules_(
          *database_,
          TierQuota{
              settings_.quota_molecules_free,
              settings_.quota_molecules_pro,
              settings_.quota_molecules_enterprise}
      ),
      search_index_(*database_, search_options(settings_)),
      search_(*database_, search_index_) {
    metrics_.set_pool_source([db = database_.get()] { return db->pool_stats(); });
    metrics_.add_gauge_source([index = &search_index_] {
        const auto loaded = index->index();
        const auto stats = loaded ? loaded->stats() : chem::SearchIndexStats{};
        return std::vector<std::pair<std::string, double>>{
            {"search_ready", loaded ? 1 : 0},
            {"search_molecules", static_cast<double>(stats.molecules)},
            {"search_projects", static_cast<double>(stats.projects)},
            {"search_screening_bytes", static_cast<double>(stats.screening_bytes)},
            {"search_matching_bytes", static_cast<double>(stats.matching_bytes)},
        };
    });
    readiness_checks_.push_back({"database", [db = database_.get()] { return db->ping(); }});
    readiness_checks_.push_back({"search", [index = &search_index_] {
                                     return index->index() != nullptr;
                                 }});
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
    router_.use(ratelimit::resolve_client_ip(ratelimit::ClientIpResolver(trusted_proxies(settings_))
    ));
    if (settings_.rate_limit_enabled) {
        if (redis_) {
            rate_limiter_ = std::make_unique<ratelimit::RedisRateLimiter>(*redis_, [this] {
                metrics_.increment("rate_limit_redis_fallback");
            });
        } else {
            rate_limiter_ = std::make_unique<ratelimit::MemoryRateLimiter>();
        }
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
    router_.use(auth::authenticate(auth_));
    router_.use(auth::csrf_protection());
    if (rate_limiter_) {
        router_.use(ratelimit::user_rate_limit(
            *rate_limiter_, tier_rate_limits(settings_), route_rate_limits(settings_)
        ));
    }
    ops::add_health_routes(router_, readiness_checks_, metrics_);
    auth::add_auth_routes(router_, auth_, cookie_policy(settings_));
    projects::add_project_routes(router_, projects_);
    molecules::add_molecule_routes(router_, molecules_, settings_.import_max_bytes);
    search::add_search_routes(
        router_, search_, {settings_.search_default_time, settings_.search_max_time}
    );
    if (settings_.env == config::Environment::kTest) {
        add_test_routes(router_, settings_);
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
    options.observer = &metrics_;
    http::Server server(options, router_, workers);
    cleanup_job_ = std::make_unique<ops::PeriodicJob>("token_cleanup", kCleanupPeriod, [this] {
        const auto counts = auth_.cleanup();
        log::info(
            "token_cleanup",
            {{"refresh_rows_deleted", counts.refresh_tokens},
             {"denylist_rows_deleted", counts.denied_access_tokens},
             {"sealed_successors_cleared", counts.sealed_successors}}
        );
    });
    search_index_.start();
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
    cleanup_job_.reset();
    log::info("stopped", {});
    return 0;
}

}  // namespace molvault::app
