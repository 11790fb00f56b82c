#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "config/database_url.hpp"
#include "config/settings.hpp"

namespace molvault::config {
namespace {

constexpr const char* kStrongSecret = "q8Vd0rX3mZ1kP7wN5tB2yL9cH4sJ6fGaE0uRiOxT_-Mz";
constexpr const char* kStrongPepper = "Hn4wQ7zT1cVb9LkE2xRm6PdJ0sYf3GuA8oWi5NqZ_-Ke";
constexpr const char* kStrongDbUrl =
    "postgresql://molvault:Xk9#pQ2vLm7Rt4Wz8Bn1@db.internal:5432/molvault?sslmode=verify-full";

std::map<std::string, std::string> good_production() {
    return {
        {"ENV", "production"},
        {"JWT_SECRET_KEY", kStrongSecret},
        {"PASSWORD_PEPPER", kStrongPepper},
        {"COOKIE_SECURE", "true"},
        {"DATABASE_URL", kStrongDbUrl},
    };
}

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
    return std::any_of(problems.begin(), problems.end(), [text](const std::string& p) {
        return p.find(text) != std::string::npos;
    });
}

TEST(Settings, DefaultsMatchTheChecklist) {
    const auto result = load_settings(Variables(std::map<std::string, std::string>{}));
    ASSERT_TRUE(result.problems.empty());
    EXPECT_EQ(result.settings.db_pool_size, 20);
    EXPECT_EQ(result.settings.db_pool_max_overflow, 10);
    EXPECT_EQ(result.settings.db_pool_recycle, std::chrono::seconds(3600));
    EXPECT_TRUE(result.settings.db_pool_pre_ping);
    EXPECT_EQ(result.settings.cookie_samesite, "lax");
    EXPECT_EQ(result.settings.port, 8000);
    EXPECT_EQ(result.settings.database_url, "sqlite:var/molvault.db");
    EXPECT_EQ(result.settings.max_body_bytes, 1024U * 1024U);
    EXPECT_EQ(result.settings.import_max_bytes, 512U * 1024U * 1024U);
}

TEST(Settings, ReadsTheImportBodyLimit) {
    const auto result = load_settings(Variables(std::map<std::string, std::string>{
        {"IMPORT_MAX_BYTES", "2147483648"}}));
    ASSERT_TRUE(result.problems.empty()) << result.problems.front();
    EXPECT_EQ(result.settings.import_max_bytes, std::size_t{2} * 1024 * 1024 * 1024);
}

TEST(Settings, ReadsTheSearchSettings) {
    const auto defaults = load_settings(Variables(std::map<std::string, std::string>{}));
    ASSERT_TRUE(defaults.problems.empty());
    EXPECT_EQ(defaults.settings.search_poll_interval, std::chrono::milliseconds(250));
    EXPECT_EQ(defaults.settings.search_default_time, std::chrono::milliseconds(10'000));
    EXPECT_EQ(defaults.settings.search_max_time, std::chrono::milliseconds(60'000));
    EXPECT_EQ(defaults.settings.search_match_store, "auto");
    EXPECT_EQ(defaults.settings.search_parsed_max, 300'000U);

    const auto set = load_settings(Variables(std::map<std::string, std::string>{
        {"SEARCH_POLL_INTERVAL_MS", "100"},
        {"SEARCH_DEFAULT_TIME_MS", "500"},
        {"SEARCH_MAX_TIME_MS", "2000"},
        {"SEARCH_THREADS", "3"},
        {"SEARCH_MATCH_STORE", "Pickles"},
        {"SEARCH_CHANGE_RETENTION", "600"},
        {"SEARCH_PARSED_MAX", "0"},
    }));
    ASSERT_TRUE(set.problems.empty());
    EXPECT_EQ(set.settings.search_poll_interval, std::chrono::milliseconds(100));
    EXPECT_EQ(set.settings.search_default_time, std::chrono::milliseconds(500));
    EXPECT_EQ(set.settings.search_max_time, std::chrono::milliseconds(2000));
    EXPECT_EQ(set.settings.search_threads, 3);
    EXPECT_EQ(set.settings.search_match_store, "pickles");
    EXPECT_EQ(set.settings.search_parsed_max, 0U);
    EXPECT_EQ(set.settings.search_change_retention, std::chrono::seconds(600));

    for (const auto& [name, value, problem] : std::vector<std::array<std::string, 3>>{
             {"SEARCH_POLL_INTERVAL_MS", "5", "SEARCH_POLL_INTERVAL_MS"},
             {"SEARCH_DEFAULT_TIME_MS", "70000", "SEARCH_DEFAULT_TIME_MS"},
             {"SEARCH_MAX_TIME_MS", "0", "SEARCH_MAX_TIME_MS"},
             {"SEARCH_MATCH_STORE", "disk", "SEARCH_MATCH_STORE"},
             {"SEARCH_CHANGE_RETENTION", "10", "SEARCH_CHANGE_RETENTION"},
         }) {
        const auto bad =
            load_settings(Variables(std::map<std::string, std::string>{{name, value}}));
        EXPECT_TRUE(mentions(bad.problems, problem)) << name << "=" << value;
    }
}

TEST(Settings, AcceptsAGoodProductionConfiguration) {
    const auto result = load_settings(Variables(good_production()));
    EXPECT_TRUE(result.problems.empty()) << result.problems.front();
}

struct BadProductionCase {
    std::string variable;
    std::optional<std::string> value;  // nullopt: remove the variable
    std::string expected_problem;
};

TEST(Settings, RefusesEachBadProductionSetting) {
    const std::vector<BadProductionCase> cases = {
        {"JWT_SECRET_KEY", std::nullopt, "JWT_SECRET_KEY is required"},
        {"JWT_SECRET_KEY", "short-secret", "JWT_SECRET_KEY must be at least 32"},
        {"JWT_SECRET_KEY", std::string(40, 'a'), "JWT_SECRET_KEY is low-entropy"},
        {"JWT_SECRET_KEY", "abababababababababababababababababab", "JWT_SECRET_KEY is low-entropy"},
        {"JWT_SECRET_KEY",
         "change-me-please-this-is-not-a-real-key",
         "JWT_SECRET_KEY is low-entropy"},
        {"COOKIE_SECURE", "false", "COOKIE_SECURE must be true"},
        {"COOKIE_SECURE", std::nullopt, "COOKIE_SECURE must be true"},
        {"DATABASE_URL",
         "postgresql://postgres:postgres@db.internal/app?sslmode=require",
         "DATABASE_URL uses a known default password"},
        {"DATABASE_URL",
         "postgresql://app:Sh0rtPw!@db.internal/app?sslmode=require",
         "DATABASE_URL password must be at least 16"},
        {"DATABASE_URL",
         "postgresql://app:Xk9pQ2vLm7Rt4Wz8Bn1@db.internal/app",
         "DATABASE_URL must require TLS"},
        {"DATABASE_URL",
         "postgresql://app:Xk9pQ2vLm7Rt4Wz8Bn1@db.internal/app?sslmode=prefer",
         "DATABASE_URL must require TLS"},
        {"DATABASE_URL", "mysql://x", "DATABASE_URL is invalid"},
        {"DB_POOL_SIZE", "lots", "DB_POOL_SIZE must be an integer"},
        {"COOKIE_SAMESITE", "sideways", "COOKIE_SAMESITE must be lax"},
        {"ALLOWED_ORIGINS", "*", "ALLOWED_ORIGINS must list exact origins"},
        {"LOG_LEVEL", "chatty", "LOG_LEVEL must be"},
        {"RATE_LIMIT_ENABLED", "false", "RATE_LIMIT_ENABLED cannot be false in production"},
        {"RATE_LIMIT_ENABLED", "maybe", "RATE_LIMIT_ENABLED must be true or false"},
        {"RATE_LIMIT_LOGIN", "5/fortnight", "RATE_LIMIT_LOGIN is invalid"},
        {"RATE_LIMIT_REGISTER", "0/hour", "RATE_LIMIT_REGISTER is invalid"},
        {"RATE_LIMIT_REFRESH", "ten/minute", "RATE_LIMIT_REFRESH is invalid"},
        {"RATE_LIMIT_FREE", "60", "RATE_LIMIT_FREE is invalid"},
        {"RATE_LIMIT_PRO", "600/0s", "RATE_LIMIT_PRO is invalid"},
        {"RATE_LIMIT_ENTERPRISE", "", "RATE_LIMIT_ENTERPRISE is invalid"},
        {"TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "TRUSTED_PROXIES is invalid"},
        {"TRUSTED_PROXIES", "10.0.0.0/33", "TRUSTED_PROXIES is invalid"},
        {"BCRYPT_ROUNDS", "11", "BCRYPT_ROUNDS must be at least 12 in production"},
        {"BCRYPT_ROUNDS", "4", "BCRYPT_ROUNDS must be at least 12 in production"},
        {"BCRYPT_ROUNDS", "3", "BCRYPT_ROUNDS must be an integer between 4 and 31"},
        {"BCRYPT_ROUNDS", "32", "BCRYPT_ROUNDS must be an integer between 4 and 31"},
        {"PASSWORD_HASH_ALGORITHM", "md5", "PASSWORD_HASH_ALGORITHM must be bcrypt or argon2id"},
        {"PASSWORD_PEPPER", std::nullopt, "PASSWORD_PEPPER is required in production"},
        {"PASSWORD_PEPPER", "short-pepper", "PASSWORD_PEPPER must be at least 32"},
        {"PASSWORD_PEPPER", std::string(40, 'p'), "PASSWORD_PEPPER is low-entropy"},
        {"PASSWORD_PEPPER",
         "change-me-please-this-is-not-a-real-one",
         "PASSWORD_PEPPER is low-entropy"},
        {"PASSWORD_PEPPER", kStrongSecret, "PASSWORD_PEPPER must differ from JWT_SECRET_KEY"},
        {"ACCESS_TOKEN_TTL_SECONDS", "0", "ACCESS_TOKEN_TTL_SECONDS must be an integer"},
        {"REFRESH_TOKEN_TTL_DAYS", "a month", "REFRESH_TOKEN_TTL_DAYS must be an integer"},
        {"REFRESH_REUSE_GRACE_SECONDS", "-1", "REFRESH_REUSE_GRACE_SECONDS must be an integer"},
        {"JWT_ISSUER", "", "JWT_ISSUER must not be empty"},
        {"JWT_AUDIENCE", "", "JWT_AUDIENCE must not be empty"},
        {"HASH_THREADS", "0", "HASH_THREADS must be an integer"},
        {"HASH_QUEUE_LIMIT", "0", "HASH_QUEUE_LIMIT must be an integer"},
        {"HASH_QUEUE_LIMIT", "64", "HASH_QUEUE_LIMIT must be less than HTTP_WORKERS"},
        {"LOCKOUT_THRESHOLD", "0", "LOCKOUT_THRESHOLD must be an integer"},
        {"LOCKOUT_MINUTES", "forever", "LOCKOUT_MINUTES must be an integer"},
        {"LOCKOUT_SECONDS", "0", "LOCKOUT_SECONDS must be an integer"},
        {"IMPORT_MAX_BYTES", "100", "IMPORT_MAX_BYTES must be an integer"},
        {"IMPORT_MAX_BYTES", "1e9", "IMPORT_MAX_BYTES must be an integer"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.variable + "=" + c.value.value_or("<unset>"));
        auto values = good_production();
        if (c.value) {
            values[c.variable] = *c.value;
        } else {
            values.erase(c.variable);
        }
        const auto result = load_settings(Variables(values));
        EXPECT_TRUE(mentions(result.problems, c.expected_problem))
            << (result.problems.empty() ? "no problem reported" : result.problems.front());
    }
}

TEST(Settings, AuthenticationDefaultsMatchTheChecklist) {
    const auto result = load_settings(Variables(std::map<std::string, std::string>{}));
    ASSERT_TRUE(result.problems.empty());
    const auto& s = result.settings;
    EXPECT_EQ(s.bcrypt_rounds, 12);
    EXPECT_EQ(s.password_hash_algorithm, auth::HashAlgorithm::kBcrypt);
    EXPECT_TRUE(s.password_pepper.empty()) << "generated later, outside production";
    EXPECT_EQ(s.access_token_ttl, std::chrono::seconds(900));
    EXPECT_EQ(s.refresh_token_ttl, std::chrono::days(30));
    EXPECT_EQ(s.refresh_reuse_grace, std::chrono::seconds(10));
    EXPECT_EQ(s.jwt_issuer, "molvault");
    EXPECT_EQ(s.jwt_audience, "molvault-api");
    EXPECT_GE(s.hash_threads, 1);
    EXPECT_LE(s.hash_threads, 4) << "at most a quarter of the 16 workers";
    EXPECT_EQ(s.hash_queue_limit, static_cast<std::size_t>(8 - s.hash_threads))
        << "sign-ins can hold at most half the workers";
    EXPECT_EQ(s.lockout_threshold, 5);
    EXPECT_EQ(s.lockout_duration, std::chrono::minutes(15));
}

TEST(Settings, ReadsEveryAuthenticationVariable) {
    const std::map<std::string, std::string> values = {
        {"BCRYPT_ROUNDS", "4"},
        {"PASSWORD_HASH_ALGORITHM", "Argon2id"},
        {"PASSWORD_PEPPER", kStrongPepper},
        {"ACCESS_TOKEN_TTL_SECONDS", "60"},
        {"REFRESH_TOKEN_TTL_DAYS", "7"},
        {"REFRESH_REUSE_GRACE_SECONDS", "0"},
        {"JWT_ISSUER", "issuer-x"},
        {"JWT_AUDIENCE", "audience-y"},
        {"HASH_THREADS", "3"},
        {"HASH_QUEUE_LIMIT", "9"},
        {"LOCKOUT_THRESHOLD", "2"},
        {"LOCKOUT_MINUTES", "20"},
    };
    const auto result = load_settings(Variables(values));
    ASSERT_TRUE(result.problems.empty()) << result.problems.front();
    const auto& s = result.settings;
    EXPECT_EQ(s.bcrypt_rounds, 4) << "low costs are allowed outside production, for tests";
    EXPECT_EQ(s.password_hash_algorithm, auth::HashAlgorithm::kArgon2id);
    EXPECT_EQ(s.password_pepper, kStrongPepper);
    EXPECT_EQ(s.access_token_ttl, std::chrono::seconds(60));
    EXPECT_EQ(s.refresh_token_ttl, std::chrono::days(7));
    EXPECT_EQ(s.refresh_reuse_grace, std::chrono::seconds(0));
    EXPECT_EQ(s.jwt_issuer, "issuer-x");
    EXPECT_EQ(s.jwt_audience, "audience-y");
    EXPECT_EQ(s.hash_threads, 3);
    EXPECT_EQ(s.hash_queue_limit, 9U);
    EXPECT_EQ(s.lockout_threshold, 2);
    EXPECT_EQ(s.lockout_duration, std::chrono::minutes(20));
}

TEST(Settings, LetsLockoutSecondsOverrideLockoutMinutes) {
    const std::map<std::string, std::string> values = {
        {"LOCKOUT_MINUTES", "20"},
        {"LOCKOUT_SECONDS", "3"},
    };
    const auto result = load_settings(Variables(values));
    ASSERT_TRUE(result.problems.empty());
    EXPECT_EQ(result.settings.lockout_duration, std::chrono::seconds(3));
}

TEST(Settings, RefusesAShortPepperOutsideProductionToo) {
    const std::map<std::string, std::string> values = {{"PASSWORD_PEPPER", "short"}};
    EXPECT_TRUE(
        mentions(load_settings(Variables(values)).problems, "PASSWORD_PEPPER must be at least 32")
    );
}

TEST(Settings, GeneratesAndKeepsADevelopmentPepper) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("molvault-settings-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const std::map<std::string, std::string> values = {
        {"DATA_DIR", dir.string()},
        {"JWT_SECRET_KEY", kStrongSecret},
    };
    auto first = load_settings(Variables(values)).settings;
    ensure_development_secret(first);
    EXPECT_TRUE(first.password_pepper_generated);
    EXPECT_FALSE(first.jwt_secret_generated) << "a configured JWT secret is kept";
    EXPECT_EQ(first.jwt_secret_key, kStrongSecret);
    EXPECT_GE(first.password_pepper.size(), 32U);
    const auto file = dir / "dev-password-pepper";
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(
        std::filesystem::status(file).permissions() &
            (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
        std::filesystem::perms::none
    );

    auto second = load_settings(Variables(values)).settings;
    ensure_development_secret(second);
    EXPECT_EQ(second.password_pepper, first.password_pepper) << "kept across restarts";
    std::filesystem::remove_all(dir);
}

TEST(Settings, NeverGeneratesAPepperInProduction) {
    auto settings = load_settings(Variables(good_production())).settings;
    settings.password_pepper.clear();
    ensure_development_secret(settings);
    EXPECT_TRUE(settings.password_pepper.empty());
}

TEST(Settings, AcceptsSecretKeyAsAnAliasOfJwtSecretKey) {
    auto values = good_production();
    values.erase("JWT_SECRET_KEY");
    values["SECRET_KEY"] = kStrongSecret;
    const auto result = load_settings(Variables(values));
    EXPECT_TRUE(result.problems.empty());
    EXPECT_EQ(result.settings.jwt_secret_key, kStrongSecret);
}

TEST(Settings, IgnoresAnEmptyJwtSecretKeyInFavourOfSecretKey) {
    auto values = good_production();
    values["JWT_SECRET_KEY"] = "";
    values["SECRET_KEY"] = kStrongSecret;
    const auto result = load_settings(Variables(values));
    EXPECT_EQ(result.settings.jwt_secret_key, kStrongSecret);
}

TEST(Settings, RefusesAHostThatIsNotAnIpAddress) {
    const std::map<std::string, std::string> values = {{"HOST", "localhost"}};
    const auto result = load_settings(Variables(values));
    EXPECT_TRUE(mentions(result.problems, "HOST must be an IP address"));
}

TEST(Settings, RefusesAMalformedRedisUrl) {
    const std::map<std::string, std::string> values = {{"REDIS_URL", "redis://cache:abc"}};
    const auto result = load_settings(Variables(values));
    EXPECT_TRUE(mentions(result.problems, "REDIS_URL has a bad port"));
}

TEST(Settings, AcceptsTheDefaultHashingPoolWithOneWorker) {
    const std::map<std::string, std::string> values = {{"HTTP_WORKERS", "1"}};
    EXPECT_TRUE(load_settings(Variables(values)).problems.empty());
}

TEST(Settings, AllowsLoopbackPostgresWithoutTls) {
    auto values = good_production();
    values["DATABASE_URL"] = "postgresql://molvault:Xk9pQ2vLm7Rt4Wz8Bn1@127.0.0.1:5432/molvault";
    EXPECT_TRUE(load_settings(Variables(values)).problems.empty());
}

TEST(Settings, ParsesAllowedOriginsAsAnExactList) {
    const std::map<std::string, std::string> values = {
        {"ALLOWED_ORIGINS", " https://a.example.com, https://b.example.com/ ,"},
    };
    const auto result = load_settings(Variables(values));
    EXPECT_EQ(
        result.settings.allowed_origins,
        (std::vector<std::string>{"https://a.example.com", "https://b.example.com"})
    );
}

TEST(Settings, RateLimitDefaultsMatchTheChecklist) {
    using namespace std::chrono_literals;
    const auto result = load_settings(Variables(std::map<std::string, std::string>{}));
    const auto& s = result.settings;
    EXPECT_TRUE(s.rate_limit_enabled);
    EXPECT_EQ(s.rate_limit_login, (RateLimitSpec{5, 60s}));
    EXPECT_EQ(s.rate_limit_register, (RateLimitSpec{3, 3600s}));
    EXPECT_EQ(s.rate_limit_refresh, (RateLimitSpec{10, 60s}));
    EXPECT_EQ(s.rate_limit_free, (RateLimitSpec{60, 60s}));
    EXPECT_EQ(s.rate_limit_pro, (RateLimitSpec{600, 60s}));
    EXPECT_EQ(s.rate_limit_enterprise, (RateLimitSpec{6000, 60s}));
    EXPECT_TRUE(s.trusted_proxies.empty());
}

TEST(Settings, ReadsRateLimitOverridesAndTrustedProxies) {
    using namespace std::chrono_literals;
    const std::map<std::string, std::string> values = {
        {"RATE_LIMIT_ENABLED", "false"},
        {"RATE_LIMIT_LOGIN", "3/2s"},
        {"RATE_LIMIT_REGISTER", "10/day"},
        {"RATE_LIMIT_PRO", " 1000/hour "},
        {"TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ,fd00::/8"},
    };
    const auto result = load_settings(Variables(values));
    ASSERT_TRUE(result.problems.empty()) << result.problems.front();
    const auto& s = result.settings;
    EXPECT_FALSE(s.rate_limit_enabled) << "may be disabled outside production";
    EXPECT_EQ(s.rate_limit_login, (RateLimitSpec{3, 2s}));
    EXPECT_EQ(s.rate_limit_register, (RateLimitSpec{10, 86400s}));
    EXPECT_EQ(s.rate_limit_pro, (RateLimitSpec{1000, 3600s}));
    EXPECT_EQ(
        s.trusted_proxies, (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "fd00::/8"})
    );
}

TEST(Settings, KeepsRateLimitingOnInProductionByDefault) {
    const auto result = load_settings(Variables(good_production()));
    EXPECT_TRUE(result.settings.rate_limit_enabled);
}

TEST(Settings, TierQuotaDefaultsMatchTheIssue) {
    const auto result = load_settings(Variables(std::map<std::string, std::string>{}));
    ASSERT_TRUE(result.problems.empty());
    const auto& s = result.settings;
    EXPECT_EQ(s.quota_projects_free, 10);
    EXPECT_EQ(s.quota_projects_pro, 100);
    EXPECT_EQ(s.quota_projects_enterprise, 0) << "0 means unlimited";
    EXPECT_EQ(s.quota_molecules_free, 10'000);
    EXPECT_EQ(s.quota_molecules_pro, 1'000'000);
    EXPECT_EQ(s.quota_molecules_enterprise, 0);
}

TEST(Settings, ReadsTierQuotasWithEmptyMeaningUnlimited) {
    const auto result = load_settings(Variables({
        {"QUOTA_PROJECTS_FREE", "3"},
        {"QUOTA_PROJECTS_PRO", ""},
        {"QUOTA_PROJECTS_ENTERPRISE", "5000"},
        {"QUOTA_MOLECULES_FREE", "0"},
        {"QUOTA_MOLECULES_PRO", "20"},
        {"QUOTA_MOLECULES_ENTERPRISE", " "},
    }));
    ASSERT_TRUE(result.problems.empty()) << result.problems.front();
    const auto& s = result.settings;
    EXPECT_EQ(s.quota_projects_free, 3);
    EXPECT_EQ(s.quota_projects_pro, 0);
    EXPECT_EQ(s.quota_projects_enterprise, 5000);
    EXPECT_EQ(s.quota_molecules_free, 0);
    EXPECT_EQ(s.quota_molecules_pro, 20);
    EXPECT_EQ(s.quota_molecules_enterprise, 0);
}

TEST(Settings, RefusesANegativeOrNonNumericQuotaNamingTheVariable) {
    const auto result =
        load_settings(Variables({{"QUOTA_PROJECTS_FREE", "-1"}, {"QUOTA_MOLECULES_PRO", "lots"}}));
    EXPECT_TRUE(mentions(result.problems, "QUOTA_PROJECTS_FREE"));
    EXPECT_TRUE(mentions(result.problems, "QUOTA_MOLECULES_PRO"));
}

TEST(DatabaseUrl, ParsesPostgresUrlWithEscapesAndParameters) {
    const auto url = parse_database_url("postgresql://us%40er:p%3Ass@host:6543/db?sslmode=require");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->kind, DatabaseKind::kPostgres);
    EXPECT_EQ(url->user, "us@er");
    EXPECT_EQ(url->password, "p:ss");
    EXPECT_EQ(url->host, "host");
    EXPECT_EQ(url->port, "6543");
    EXPECT_EQ(url->dbname, "db");
    EXPECT_EQ(url->params.at("sslmode"), "require");
}

TEST(DatabaseUrl, RedactsThePassword) {
    EXPECT_EQ(
        redact_database_url("postgresql://user:hunter2hunter2@host/db"),
        "postgresql://user:***@host/db"
    );
    EXPECT_EQ(redact_database_url("sqlite:var/molvault.db"), "sqlite:var/molvault.db");
}

}  // namespace
}  // namespace molvault::config
