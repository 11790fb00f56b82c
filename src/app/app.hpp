#pragma once
// The composition root: builds every long-lived object of a serving molvault process from the
// validated Settings and wires routes, middleware and background checks. Nothing else in the
// program constructs services. Not thread-safe itself; the objects it owns document their own
// thread-safety.

#include <memory>
#include <vector>

#include "auth/auth_service.hpp"
#include "auth/hashing_pool.hpp"
#include "auth/password_hasher.hpp"
#include "auth/password_policy.hpp"
#include "auth/token_service.hpp"
#include "config/settings.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "molecules/molecule_service.hpp"
#include "ops/health_routes.hpp"
#include "ops/metrics.hpp"
#include "ops/periodic_job.hpp"
#include "projects/project_service.hpp"
#include "ratelimit/rate_limit_middleware.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "ratelimit/redis_client.hpp"
#include "search/live_index.hpp"
#include "search/search_service.hpp"

namespace molvault::app {

// Pool, timeouts and URL for one database connection string.
[[nodiscard]] db::DatabaseOptions database_options(
    const config::Settings& settings, const std::string& url
);

// The per-IP rules for the named auth endpoints (RATE_LIMIT_LOGIN, _REGISTER, _REFRESH).
[[nodiscard]] std::vector<ratelimit::RouteRule> route_rate_limits(const config::Settings& settings);
// The per-user rules by tier (RATE_LIMIT_FREE, _PRO, _ENTERPRISE), for user_rate_limit once the
// authentication middleware fills Request::auth.
[[nodiscard]] ratelimit::TierRules tier_rate_limits(const config::Settings& settings);

class App {
public:
    // Opens the database (throws db::DatabaseError when unreachable) and builds the routes.
    explicit App(config::Settings settings);
    App(const App&) = delete;
    App& operator=(const App&) = delete;
    ~App();

    [[nodiscard]] db::Database& database() { return *database_; }
    [[nodiscard]] auth::AuthService& auth() { return auth_; }
    [[nodiscard]] projects::ProjectService& projects() { return projects_; }
    [[nodiscard]] molecules::MoleculeService& molecules() { return molecules_; }
    // The route table, complete once the constructor returns (`molvault routes` prints it).
    [[nodiscard]] const http::Router& router() const { return router_; }

    // Serves HTTP until SIGTERM/SIGINT, then drains. Returns the process exit code.
    int serve();

private:
    const config::Settings settings_;
    std::unique_ptr<db::Database> database_;
    std::unique_ptr<ratelimit::RedisClient> redis_;
    auth::PasswordPolicy password_policy_;
    auth::PasswordHasher password_hasher_;
    auth::HashingPool hashing_pool_;
    auth::TokenService tokens_;
    auth::AuthService auth_;
    projects::ProjectService projects_;
    molecules::MoleculeService molecules_;
    search::LiveIndex search_index_;  // loads when serve() starts it
    search::SearchService search_;
    ops::Metrics metrics_;
    std::vector<ops::ReadinessCheck> readiness_checks_;
    std::unique_ptr<ratelimit::RateLimiter> rate_limiter_;  // null when RATE_LIMIT_ENABLED=false
    http::Router router_;                            // its middleware borrows the members above
    std::unique_ptr<ops::PeriodicJob> cleanup_job_;  // serve() only; stopped before the rest
};

}  // namespace molvault::app
