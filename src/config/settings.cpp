#include "config/settings.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ip_network.hpp"
#include "common/random.hpp"
#include "config/database_url.hpp"
#include "config/redis_url.hpp"

extern char** environ;  // NOLINT: POSIX; read once at start-up

namespace molvault::config {
namespace {

constexpr std::size_t kMinSecretLength = 32;
constexpr std::size_t kMinDatabasePasswordLength = 16;
constexpr double kMinSecretBitsPerChar = 3.0;
constexpr std::size_t kMinSecretDistinctChars = 10;
constexpr std::size_t kDevSecretBytes = 48;
constexpr int kMinProductionBcryptRounds = 12;
constexpr std::size_t kMaxImportBytes = std::size_t{64} * 1024 * 1024 * 1024;  // 64 GiB

constexpr std::array kKnownDefaultPasswords = {
    "postgres",
    "password",
    "admin",
    "root",
    "changeme",
    "secret",
    "123456",
    "12345678",
    "molvault",
    "app_user",
    "app",
    "test",
    "qwerty",
    "letmein",
    "changeit",
    "default",
    "pass",
    "postgres123",
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

// Parses one .env line: KEY=VALUE, optional `export `, optional single or double quotes.
void parse_dotenv_line(std::string_view line, std::map<std::string, std::string>& out) {
    const std::string text = trim(line);
    if (text.empty() || text.front() == '#') {
        return;
    }
    std::string_view view = text;
    if (view.starts_with("export ")) {
        view.remove_prefix(7);
    }
    const auto eq = view.find('=');
    if (eq == std::string_view::npos) {
        return;
    }
    const std::string key = trim(view.substr(0, eq));
    std::string value = trim(view.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
        value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
}

class Reader {
public:
    Reader(const Variables& variables, std::vector<std::string>& problems)
        : variables_(variables), problems_(problems) {}

    void text(const char* name, std::string& target) const {
        if (auto value = variables_.get(name)) {
            target = *value;
        }
    }

    template <class Int>
    void integer(const char* name, Int& target, Int min, Int max) const {
        const auto value = variables_.get(name);
        if (!value) {
            return;
        }
        Int parsed{};
        const auto* end = value->data() + value->size();
        const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
        if (ec != std::errc{} || ptr != end || parsed < min || parsed > max) {
            problems_.push_back(
                fmt::format("{} must be an integer between {} and {}", name, min, max)
            );
            return;
        }
        target = parsed;
    }

    void milliseconds(const char* name, std::chrono::milliseconds& target) const {
        auto count = target.count();
        integer<std::int64_t>(name, count, 0, 86'400'000);
        target = std::chrono::milliseconds(count);
    }

    void boolean(const char* name, bool& target) const {
        const auto value = variables_.get(name);
        if (!value) {
            return;
        }
        const auto v = lower(*value);
        if (v == "true" || v == "1" || v == "yes" || v == "on") {
            target = true;
        } else if (v == "false" || v == "0" || v == "no" || v == "off") {
            target = false;
        } else {
            problems_.push_back(fmt::format("{} must be true or false", name));
        }
    }

private:
    const Variables& variables_;
    std::vector<std::string>& problems_;
};

double shannon_bits_per_char(std::string_view text) {
    std::array<std::size_t, 256> counts{};
    for (const unsigned char c : text) {
        ++counts[c];
    }
    double bits = 0;
    for (const auto count : counts) {
        if (count == 0) {
            continue;
        }
        const double p = static_cast<double>(count) / static_cast<double>(text.size());
        bits -= p * std::log2(p);
    }
    return bits;
}

std::vector<std::string> split_origins(std::string_view text) {
    std::vector<std::string> origins;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string origin = trim(text.substr(0, comma));
        while (!origin.empty() && origin.back() == '/') {
            origin.pop_back();
        }
        if (!origin.empty()) {
            origins.push_back(std::move(origin));
        }
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return origins;
}

void check_secret(const Settings& s, std::vector<std::string>& problems) {
    const auto& key = s.jwt_secret_key;
    if (key.empty()) {
        problems.emplace_back("JWT_SECRET_KEY is required in production");
        return;
    }
    if (key.size() < kMinSecretLength) {
        problems.push_back(
            fmt::format("JWT_SECRET_KEY must be at least {} characters", kMinSecretLength)
        );
        return;
    }
    const std::set<char> distinct(key.begin(), key.end());
    const auto lowered = lower(key);
    const bool placeholder = lowered.find("change") != std::string::npos ||
                             lowered.find("secret") != std::string::npos ||
                             lowered.find("example") != std::string::npos;
    if (distinct.size() < kMinSecretDistinctChars ||
        shannon_bits_per_char(key) < kMinSecretBitsPerChar || placeholder) {
        problems.emplace_back(
            "JWT_SECRET_KEY is low-entropy or a placeholder: generate one with "
            "`openssl rand -base64 48`"
        );
    }
}

// PASSWORD_PEPPER: optional outside production (a development pepper is generated), but when
// given it must be long enough everywhere. In production it must also look random and must not
// reuse the JWT secret (one leaked value must not give away both).
void check_pepper(const Settings& s, std::vector<std::string>& problems, bool production) {
    const auto& pepper = s.password_pepper;
    if (pepper.empty()) {
        if (production) {
            problems.emplace_back("PASSWORD_PEPPER is required in production");
        }
        return;
    }
    if (pepper.size() < kMinSecretLength) {
        problems.push_back(
            fmt::format("PASSWORD_PEPPER must be at least {} characters", kMinSecretLength)
        );
        return;
    }
    if (!production) {
        return;
    }
    const std::set<char> distinct(pepper.begin(), pepper.end());
    const auto lowered = lower(pepper);
    const bool placeholder = lowered.find("change") != std::string::npos ||
                             lowered.find("pepper") != std::string::npos ||
                             lowered.find("example") != std::string::npos;
    if (distinct.size() < kMinSecretDistinctChars ||
        shannon_bits_per_char(pepper) < kMinSecretBitsPerChar || placeholder) {
        problems.emplace_back(
            "PASSWORD_PEPPER is low-entropy or a placeholder: generate one with "
            "`openssl rand -base64 48`"
        );
    }
    if (pepper == s.jwt_secret_key) {
        problems.emplace_back("PASSWORD_PEPPER must differ from JWT_SECRET_KEY");
    }
}

void check_database(const Settings& s, std::vector<std::string>& problems, bool production) {
    for (const auto& [name, value] :
         {std::pair{"DATABASE_URL", s.database_url},
          std::pair{"MIGRATION_DATABASE_URL", s.migration_database_url}}) {
        const auto url = parse_database_url(value);
        if (!url) {
            problems.push_back(fmt::format("{} is invalid: {}", name, url.error()));
            continue;
        }
        if (!production || url->kind != DatabaseKind::kPostgres) {
            continue;
        }
        if (url->password) {
            const auto pw = lower(*url->password);
            const bool known = std::any_of(
                kKnownDefaultPasswords.begin(),
                kKnownDefaultPasswords.end(),
                [&pw](const char* d) { return pw == d; }
            );
            if (known) {
                problems.push_back(fmt::format("{} uses a known default password", name));
            } else if (url->password->size() < kMinDatabasePasswordLength) {
                problems.push_back(fmt::format(
                    "{} password must be at least {} characters", name, kMinDatabasePasswordLength
                ));
            }
        }
        const auto sslmode = url->params.find("sslmode");
        const bool tls_required = sslmode != url->params.end() &&
                                  (sslmode->second == "require" || sslmode->second == "verify-ca" ||
                                   sslmode->second == "verify-full");
        if (!tls_required && !is_local_host(url->host)) {
            problems.push_back(fmt::format(
                "{} must require TLS (sslmode=require, verify-ca or verify-full) for a remote "
                "host",
                name
            ));
        }
    }
}

}  // namespace

Variables Variables::from_process(const std::filesystem::path& dotenv_path) {
    std::map<std::string, std::string> values;
    if (std::ifstream in(dotenv_path); in) {
        std::string line;
        while (std::getline(in, line)) {
            parse_dotenv_line(line, values);
        }
    }
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string_view::npos) {
            values[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
        }
    }
    return Variables(std::move(values));
}

std::optional<std::string> Variables::get(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

const char* environment_name(Environment env) {
    switch (env) {
        case Environment::kDevelopment:
            return "development";
        case Environment::kTest:
            return "test";
        case Environment::kProduction:
            return "production";
    }
    return "development";
}

LoadResult load_settings(const Variables& variables) {
    LoadResult result;
    auto& s = result.settings;
    auto& problems = result.problems;
    const Reader read(variables, problems);

    if (const auto env = variables.get("ENV")) {
        const auto v = lower(*env);
        if (v == "production" || v == "prod") {
            s.env = Environment::kProduction;
        } else if (v == "development" || v == "dev") {
            s.env = Environment::kDevelopment;
        } else if (v == "test") {
            s.env = Environment::kTest;
        } else {
            problems.emplace_back("ENV must be development, test or production");
        }
    }
    const bool production = s.env == Environment::kProduction;

    read.text("SECRET_KEY", s.jwt_secret_key);
    // An empty JWT_SECRET_KEY= line (as in .env.example) must not hide SECRET_KEY.
    if (const auto key = variables.get("JWT_SECRET_KEY"); key && !key->empty()) {
        s.jwt_secret_key = *key;
    }
    if (const auto dir = variables.get("DATA_DIR")) {
        s.data_dir = *dir;
    }
    s.database_url = "sqlite:" + (s.data_dir / "molvault.db").string();
    read.text("DATABASE_URL", s.database_url);
    s.migration_database_url = s.database_url;
    read.text("MIGRATION_DATABASE_URL", s.migration_database_url);
    read.text("DB_APP_ROLE", s.db_app_role);
    read.integer("DB_POOL_SIZE", s.db_pool_size, 1, 1000);
    read.integer("DB_POOL_MAX_OVERFLOW", s.db_pool_max_overflow, 0, 1000);
    if (const auto timeout = variables.get("DB_POOL_TIMEOUT")) {
        int seconds = 30;
        read.integer("DB_POOL_TIMEOUT", seconds, 1, 3600);
        s.db_pool_timeout = std::chrono::seconds(seconds);
    }
    read.milliseconds("DB_POOL_TIMEOUT_MS", s.db_pool_timeout);
    read.boolean("DB_POOL_PRE_PING", s.db_pool_pre_ping);
    int recycle = static_cast<int>(s.db_pool_recycle.count());
    read.integer("DB_POOL_RECYCLE", recycle, 0, 86'400 * 7);
    s.db_pool_recycle = std::chrono::seconds(recycle);
    read.milliseconds("SLOW_QUERY_MS", s.slow_query);
    read.milliseconds("SQLITE_BUSY_TIMEOUT_MS", s.sqlite_busy_timeout);

    read.text("HOST", s.host);
    if (!IpAddress::parse(s.host)) {
        problems.emplace_back("HOST must be an IP address such as 127.0.0.1 or 0.0.0.0");
    }
    read.integer("PORT", s.port, 0, 65535);
    read.text("SITE_ADDRESS", s.site_address);
    if (const auto origins = variables.get("ALLOWED_ORIGINS")) {
        s.allowed_origins = split_origins(*origins);
        if (std::find(s.allowed_origins.begin(), s.allowed_origins.end(), "*") !=
            s.allowed_origins.end()) {
            problems.emplace_back("ALLOWED_ORIGINS must list exact origins, not *");
        }
    }
    const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    s.io_threads = std::min(cores, 4);
    read.integer("HTTP_IO_THREADS", s.io_threads, 1, 64);
    read.integer("HTTP_WORKERS", s.worker_threads, 1, 1024);
    read.integer<std::size_t>("HTTP_WORKER_QUEUE", s.worker_queue_limit, 1, 1'000'000);
    read.integer<std::size_t>("HTTP_MAX_BODY_BYTES", s.max_body_bytes, 1024, 1U << 30U);
    read.integer<std::size_t>("IMPORT_MAX_BYTES", s.import_max_bytes, 1024, kMaxImportBytes);
    read.integer<std::size_t>("HTTP_MAX_HEADER_BYTES", s.max_header_bytes, 1024, 1U << 20U);
    read.milliseconds("HTTP_HEADER_TIMEOUT_MS", s.header_timeout);
    read.milliseconds("HTTP_BODY_TIMEOUT_MS", s.body_timeout);
    read.milliseconds("HTTP_IDLE_TIMEOUT_MS", s.idle_timeout);
    read.milliseconds("SHUTDOWN_GRACE_MS", s.shutdown_grace);

    read.milliseconds("SEARCH_POLL_INTERVAL_MS", s.search_poll_interval);
    if (s.search_poll_interval < std::chrono::milliseconds(10) ||
        s.search_poll_interval > std::chrono::milliseconds(5'000)) {
        problems.emplace_back("SEARCH_POLL_INTERVAL_MS must be between 10 and 5000");
    }
    read.milliseconds("SEARCH_MAX_TIME_MS", s.search_max_time);
    read.milliseconds("SEARCH_DEFAULT_TIME_MS", s.search_default_time);
    if (s.search_max_time.count() < 1 || s.search_default_time.count() < 1 ||
        s.search_default_time > s.search_max_time) {
        problems.emplace_back(
            "SEARCH_DEFAULT_TIME_MS and SEARCH_MAX_TIME_MS must be at least 1, and the default "
            "at most the maximum"
        );
    }
    read.integer("SEARCH_THREADS", s.search_threads, 0, 1024);
    if (const auto store = variables.get("SEARCH_MATCH_STORE")) {
        s.search_match_store = lower(*store);
        if (s.search_match_store != "auto" && s.search_match_store != "molecules" &&
            s.search_match_store != "pickles") {
            problems.emplace_back("SEARCH_MATCH_STORE must be auto, molecules or pickles");
        }
    }
    read.integer<std::size_t>("SEARCH_PARSED_MAX", s.search_parsed_max, 0, 1'000'000'000);
    int retention = static_cast<int>(s.search_change_retention.count());
    read.integer("SEARCH_CHANGE_RETENTION", retention, 60, 86'400 * 30);
    s.search_change_retention = std::chrono::seconds(retention);

    read.boolean("COOKIE_SECURE", s.cookie_secure);
    if (const auto samesite = variables.get("COOKIE_SAMESITE")) {
        s.cookie_samesite = lower(*samesite);
        if (s.cookie_samesite != "lax" && s.cookie_samesite != "strict" &&
            s.cookie_samesite != "none") {
            problems.emplace_back("COOKIE_SAMESITE must be lax, strict or none");
        }
    }
    if (s.cookie_samesite == "none" && !s.cookie_secure) {
        problems.emplace_back("COOKIE_SAMESITE=none requires COOKIE_SECURE=true");
    }
    read.text("REDIS_URL", s.redis_url);
    if (!s.redis_url.empty()) {
        if (const auto endpoint = parse_redis_url(s.redis_url); !endpoint) {
            problems.push_back(endpoint.error());
        }
    }
    read.text("LOG_LEVEL", s.log_level);
    if (const auto level = lower(s.log_level);
        level != "debug" && level != "info" && level != "warning" && level != "warn" &&
        level != "error" && level != "critical" && level != "trace") {
        problems.emplace_back("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR");
    }

    read.boolean("RATE_LIMIT_ENABLED", s.rate_limit_enabled);
    if (production && !s.rate_limit_enabled) {
        problems.emplace_back("RATE_LIMIT_ENABLED cannot be false in production");
    }
    for (const auto& [name, target] :
         {std::pair{"RATE_LIMIT_LOGIN", &s.rate_limit_login},
          std::pair{"RATE_LIMIT_REGISTER", &s.rate_limit_register},
          std::pair{"RATE_LIMIT_REFRESH", &s.rate_limit_refresh},
          std::pair{"RATE_LIMIT_FREE", &s.rate_limit_free},
          std::pair{"RATE_LIMIT_PRO", &s.rate_limit_pro},
          std::pair{"RATE_LIMIT_ENTERPRISE", &s.rate_limit_enterprise}}) {
        if (const auto value = variables.get(name)) {
            if (auto spec = parse_rate_limit_spec(trim(*value))) {
                *target = *spec;
            } else {
                problems.push_back(fmt::format("{} is invalid: {}", name, spec.error()));
            }
        }
    }
    if (const auto proxies = variables.get("TRUSTED_PROXIES")) {
        if (const auto networks = parse_ip_network_list(*proxies)) {
            for (const auto& network : *networks) {
                s.trusted_proxies.push_back(network.to_string());
            }
        } else {
            problems.push_back(fmt::format("TRUSTED_PROXIES is invalid: {}", networks.error()));
        }
    }
    // Authentication: password hashing, tokens, lockout
    read.integer("BCRYPT_ROUNDS", s.bcrypt_rounds, 4, 31);
    if (production && s.bcrypt_rounds < kMinProductionBcryptRounds) {
        problems.push_back(fmt::format(
            "BCRYPT_ROUNDS must be at least {} in production", kMinProductionBcryptRounds
        ));
    }
    if (const auto algorithm = variables.get("PASSWORD_HASH_ALGORITHM")) {
        const auto v = lower(*algorithm);
        if (v == "bcrypt") {
            s.password_hash_algorithm = auth::HashAlgorithm::kBcrypt;
        } else if (v == "argon2id") {
            s.password_hash_algorithm = auth::HashAlgorithm::kArgon2id;
        } else {
            problems.emplace_back("PASSWORD_HASH_ALGORITHM must be bcrypt or argon2id");
        }
    }
    read.text("PASSWORD_PEPPER", s.password_pepper);
    check_pepper(s, problems, production);
    auto access_ttl = static_cast<int>(s.access_token_ttl.count());
    read.integer("ACCESS_TOKEN_TTL_SECONDS", access_ttl, 1, 86'400);
    s.access_token_ttl = std::chrono::seconds(access_ttl);
    auto refresh_days = static_cast<int>(s.refresh_token_ttl.count());
    read.integer("REFRESH_TOKEN_TTL_DAYS", refresh_days, 1, 365);
    s.refresh_token_ttl = std::chrono::days(refresh_days);
    auto reuse_grace = static_cast<int>(s.refresh_reuse_grace.count());
    read.integer("REFRESH_REUSE_GRACE_SECONDS", reuse_grace, 0, 300);
    s.refresh_reuse_grace = std::chrono::seconds(reuse_grace);
    read.text("JWT_ISSUER", s.jwt_issuer);
    read.text("JWT_AUDIENCE", s.jwt_audience);
    for (const auto& [name, value] :
         {std::pair{"JWT_ISSUER", s.jwt_issuer}, std::pair{"JWT_AUDIENCE", s.jwt_audience}}) {
        if (value.empty()) {
            problems.push_back(fmt::format("{} must not be empty", name));
        }
    }
    // A sign-in waiting for the hashing pool holds an HTTP worker. By default at most half the
    // workers can be inside sign-ins (running or queued), so a login flood is refused with 503
    // while the other half keep serving /me, /health and everything else.
    s.hash_threads = std::clamp(cores, 1, std::max(1, s.worker_threads / 4));
    read.integer("HASH_THREADS", s.hash_threads, 1, 256);
    s.hash_queue_limit =
        static_cast<std::size_t>(std::max(1, s.worker_threads / 2 - s.hash_threads));
    read.integer<std::size_t>("HASH_QUEUE_LIMIT", s.hash_queue_limit, 1, 100'000);
    // With one or two workers there is no worker left to protect; any sizing will do.
    constexpr int kSmallestProtectableWorkers = 3;
    if (s.worker_threads >= kSmallestProtectableWorkers &&
        static_cast<std::size_t>(s.hash_threads) + s.hash_queue_limit >=
            static_cast<std::size_t>(s.worker_threads)) {
        problems.emplace_back(
            "HASH_THREADS + HASH_QUEUE_LIMIT must be less than HTTP_WORKERS, or a login flood "
            "can occupy every worker"
        );
    }
    read.integer("LOCKOUT_THRESHOLD", s.lockout_threshold, 1, 1000);
    auto lockout_minutes = static_cast<int>(s.lockout_duration.count() / 60);
    read.integer("LOCKOUT_MINUTES", lockout_minutes, 1, 1440);
    auto lockout_seconds = lockout_minutes * 60;
    read.integer("LOCKOUT_SECONDS", lockout_seconds, 1, 86'400);  // for tests; wins
    s.lockout_duration = std::chrono::seconds(lockout_seconds);
    // Tier quotas: 0 or an empty value means unlimited
    constexpr std::int64_t kMaxQuota = 1'000'000'000'000;
    for (const auto& [name, target] :
         {std::pair{"QUOTA_PROJECTS_FREE", &s.quota_projects_free},
          std::pair{"QUOTA_PROJECTS_PRO", &s.quota_projects_pro},
          std::pair{"QUOTA_PROJECTS_ENTERPRISE", &s.quota_projects_enterprise},
          std::pair{"QUOTA_MOLECULES_FREE", &s.quota_molecules_free},
          std::pair{"QUOTA_MOLECULES_PRO", &s.quota_molecules_pro},
          std::pair{"QUOTA_MOLECULES_ENTERPRISE", &s.quota_molecules_enterprise}}) {
        if (const auto value = variables.get(name); value && trim(*value).empty()) {
            *target = 0;
        } else {
            read.integer<std::int64_t>(name, *target, 0, kMaxQuota);
        }
    }

    check_database(s, problems, production);
    if (production) {
        check_secret(s, problems);
        if (!s.cookie_secure) {
            problems.emplace_back("COOKIE_SECURE must be true in production");
        }
    } else if (!s.jwt_secret_key.empty() && s.jwt_secret_key.size() < kMinSecretLength) {
        problems.push_back(
            fmt::format("JWT_SECRET_KEY must be at least {} characters", kMinSecretLength)
        );
    }
    return result;
}

namespace {

// Reads a development secret from `path`, or writes a fresh random one there (mode 0600) when
// the file is missing or holds too short a value.
std::string load_or_create_dev_secret(const std::filesystem::path& path) {
    std::string value;
    if (std::ifstream in(path); in) {
        std::getline(in, value);
    }
    if (value.size() >= kMinSecretLength) {
        return value;
    }
    const std::string encoded = random_token(kDevSecretBytes);
    const auto old_mask = ::umask(077);
    std::ofstream out(path, std::ios::trunc);
    ::umask(old_mask);
    out << encoded << '\n';
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
    return encoded;
}

}  // namespace

void ensure_development_secret(Settings& settings) {
    if (settings.env == Environment::kProduction) {
        return;
    }
    if (settings.jwt_secret_key.empty()) {
        std::filesystem::create_directories(settings.data_dir);
        settings.jwt_secret_key = load_or_create_dev_secret(settings.data_dir / "dev-jwt-secret");
        settings.jwt_secret_generated = true;
    }
    if (settings.password_pepper.empty()) {
        std::filesystem::create_directories(settings.data_dir);
        settings.password_pepper =
            load_or_create_dev_secret(settings.data_dir / "dev-password-pepper");
        settings.password_pepper_generated = true;
    }
}

}  // namespace molvault::config
