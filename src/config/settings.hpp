#pragma once
// Settings: every configurable value of molvault, read once at start-up from the process
// environment and an optional .env file (the environment wins), then validated. Immutable after
// start-up and shared by const& across threads. config/ is the only code that reads the
// environment.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/password_hasher.hpp"
#include "config/rate_limit_spec.hpp"

namespace molvault::config {

enum class Environment { kDevelopment, kTest, kProduction };

struct Settings {
    Environment env = Environment::kDevelopment;
    std::string jwt_secret_key;              // JWT_SECRET_KEY, or its alias SECRET_KEY
    bool jwt_secret_generated = false;       // true when a development secret was made for us
    std::filesystem::path data_dir = "var";  // DATA_DIR: SQLite file and dev secret live here

    // Database
    std::string database_url;            // DATABASE_URL; default sqlite:<data_dir>/molvault.db
    std::string migration_database_url;  // MIGRATION_DATABASE_URL; default DATABASE_URL
    std::string db_app_role;             // DB_APP_ROLE: granted DML after migrations (PostgreSQL)
    int db_pool_size = 20;
    int db_pool_max_overflow = 10;
    std::chrono::milliseconds db_pool_timeout{30'000};
    bool db_pool_pre_ping = true;
    std::chrono::seconds db_pool_recycle{3600};
    std::chrono::milliseconds slow_query{100};  // SLOW_QUERY_MS
    std::chrono::milliseconds sqlite_busy_timeout{5'000};

    // HTTP
    std::string host = "127.0.0.1";
    int port = 8000;
    std::string site_address = "localhost";
    std::vector<std::string> allowed_origins;
    int io_threads = 2;
    int worker_threads = 16;
    std::size_t worker_queue_limit = 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    // IMPORT_MAX_BYTES: the body limit of upload routes that stream their body (molecule
    // import) instead of buffering it; HTTP_MAX_BODY_BYTES covers every other route.
    std::size_t import_max_bytes = std::size_t{512} * 1024 * 1024;
    std::size_t max_header_bytes = 8 * 1024;
    std::chrono::milliseconds header_timeout{10'000};  // whole request head must arrive in time
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
    std::chrono::milliseconds shutdown_grace{30'000};

    // Structure search (SEARCH_*)
    std::chrono::milliseconds search_poll_interval{250};    // how often the change log is read
    std::chrono::milliseconds search_default_time{10'000};  // a search's budget unless it asks
    std::chrono::milliseconds search_max_time{60'000};      // the most a search may ask for
    int search_threads = 0;  // threads one search uses; 0 = one per core
    // SEARCH_MATCH_STORE: how the index holds molecules for matching: "molecules" (parsed,
    // about 11 KB each), "pickles" (about 0.4 KB, each read back per candidate) or "auto":
    // parsed when the database holds at most SEARCH_PARSED_MAX molecules at load, else pickles.
    std::string search_match_store = "auto";
    std::size_t search_parsed_max = 300'000;
    std::chrono::seconds search_change_retention{3600};  // change-log rows older are pruned

    // Cookies
    bool cookie_secure = false;
    std::string cookie_samesite = "lax";

    // Redis, logging
    std::string redis_url;
    std::string log_level = "INFO";

    // Rate limiting (RATE_LIMIT_*: "N/second|minute|hour|day" or "N/<k>s")
    bool rate_limit_enabled = true;  // RATE_LIMIT_ENABLED; cannot be false in production
    RateLimitSpec rate_limit_login{5, std::chrono::minutes(1)};     // per IP
    RateLimitSpec rate_limit_register{3, std::chrono::hours(1)};    // per IP
    RateLimitSpec rate_limit_refresh{10, std::chrono::minutes(1)};  // per IP
    RateLimitSpec rate_limit_free{60, std::chrono::minutes(1)};     // per user, by tier
    RateLimitSpec rate_limit_pro{600, std::chrono::minutes(1)};
    RateLimitSpec rate_limit_enterprise{6000, std::chrono::minutes(1)};
    // TRUSTED_PROXIES: comma-separated IPs and CIDR blocks (validated) whose X-Forwarded-For
    // is believed; empty means the TCP peer is always the client.
    std::vector<std::string> trusted_proxies;
    // Authentication: password hashing, tokens, lockout
    int bcrypt_rounds = 12;  // BCRYPT_ROUNDS, 4..31; at least 12 in production
    auth::HashAlgorithm password_hash_algorithm = auth::HashAlgorithm::kBcrypt;  // bcrypt|argon2id
    std::string password_pepper;             // PASSWORD_PEPPER, >= 32 chars; required in production
    bool password_pepper_generated = false;  // true when a development pepper was made for us
    std::chrono::seconds access_token_ttl{900};    // ACCESS_TOKEN_TTL_SECONDS
    std::chrono::days refresh_token_ttl{30};       // REFRESH_TOKEN_TTL_DAYS
    std::chrono::seconds refresh_reuse_grace{10};  // REFRESH_REUSE_GRACE_SECONDS
    std::string jwt_issuer = "molvault";           // JWT_ISSUER
    std::string jwt_audience = "molvault-api";     // JWT_AUDIENCE
    int hash_threads = 1;              // HASH_THREADS; default one per core, at most HTTP_WORKERS/4
    std::size_t hash_queue_limit = 6;  // HASH_QUEUE_LIMIT; default HTTP_WORKERS/2 - HASH_THREADS
    int lockout_threshold = 5;         // LOCKOUT_THRESHOLD failed logins
    std::chrono::seconds lockout_duration{15 * 60};  // LOCKOUT_MINUTES, or LOCKOUT_SECONDS (wins)
    // Tier quotas (QUOTA_<WHAT>_<TIER>): 0 means unlimited, and so does an empty variable
    std::int64_t quota_projects_free = 10;  // projects per user
    std::int64_t quota_projects_pro = 100;
    std::int64_t quota_projects_enterprise = 0;
    std::int64_t quota_molecules_free = 10'000;  // molecules per project
    std::int64_t quota_molecules_pro = 1'000'000;
    std::int64_t quota_molecules_enterprise = 0;
};

// The raw name → value pairs settings are read from.
class Variables {
public:
    // The process environment layered over the .env file at dotenv_path (if it exists).
    [[nodiscard]] static Variables from_process(const std::filesystem::path& dotenv_path);
    explicit Variables(std::map<std::string, std::string> values) : values_(std::move(values)) {}

    [[nodiscard]] std::optional<std::string> get(const std::string& name) const;

private:
    std::map<std::string, std::string> values_;
};

struct LoadResult {
    Settings settings;
    std::vector<std::string> problems;  // each names the variable; empty means valid
};

// Reads and validates every setting. Never throws for bad values: each becomes a problem.
[[nodiscard]] LoadResult load_settings(const Variables& variables);

// Outside production, for each of the JWT secret and the password pepper that is not
// configured: reads <data_dir>/dev-jwt-secret (or <data_dir>/dev-password-pepper), creating it
// (mode 0600) with a fresh random value the first time, and sets jwt_secret_generated (or
// password_pepper_generated). Throws std::runtime_error on I/O failure. Does nothing in
// production, where a missing secret or pepper is a validation problem.
void ensure_development_secret(Settings& settings);

[[nodiscard]] const char* environment_name(Environment env);

}  // namespace molvault::config
