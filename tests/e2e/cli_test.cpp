// The operator commands of the real binary: check-config, migrate, and serve's schema guard.
#include <gtest/gtest.h>

#include "support/molvault_process.hpp"

namespace molvault::test {
namespace {

TEST(CheckConfig, PrintsConfigValidForAGoodConfiguration) {
    const TempDir dir;
    const auto result = run_molvault({"check-config"}, base_environment(dir.path(), {}));
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.output.find("Config valid"), std::string::npos);
}

TEST(CheckConfig, RefusesWeakProductionSettingsNamingEachVariable) {
    const TempDir dir;
    const auto result = run_molvault(
        {"check-config"},
        base_environment(
            dir.path(),
            {{"ENV", "production"},
             {"JWT_SECRET_KEY", "too-short"},
             {"COOKIE_SECURE", "false"},
             {"DATABASE_URL", "postgresql://app:postgres@db.example.com/app"}}
        )
    );
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("JWT_SECRET_KEY"), std::string::npos);
    EXPECT_NE(result.output.find("COOKIE_SECURE"), std::string::npos);
    EXPECT_NE(result.output.find("known default password"), std::string::npos);
    EXPECT_NE(result.output.find("must require TLS"), std::string::npos);
    EXPECT_EQ(result.output.find("Config valid"), std::string::npos);
    EXPECT_EQ(result.output.find(":postgres@"), std::string::npos) << "no password echoed";
}

TEST(Serve, RefusesToStartInProductionWithBadSettings) {
    const TempDir dir;
    const auto result = run_molvault(
        {"serve"}, base_environment(dir.path(), {{"ENV", "production"}, {"COOKIE_SECURE", "false"}})
    );
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("COOKIE_SECURE must be true in production"), std::string::npos);
}

TEST(Serve, RefusesAnOutOfDateSchemaUnlessToldToMigrate) {
    const TempDir dir;
    const auto env = base_environment(dir.path(), {});
    const auto refused = run_molvault({"serve"}, env);
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.output.find("schema_out_of_date"), std::string::npos);
}

TEST(Serve, GeneratesAndKeepsADevelopmentSecret) {
    MolvaultProcess server(EnvMap{{"ENV", "development"}, {"JWT_SECRET_KEY", ""}});
    const auto secret_file = server.data_dir() / "var" / "dev-jwt-secret";
    ASSERT_TRUE(std::filesystem::exists(secret_file));
    EXPECT_EQ(
        std::filesystem::status(secret_file).permissions() & std::filesystem::perms::group_all,
        std::filesystem::perms::none
    );
    EXPECT_NE(server.log().find("development_mode"), std::string::npos);
}

TEST(Migrate, AppliesReportsStatusAndRollsBackOnSqlite) {
    const TempDir dir;
    const auto env = base_environment(dir.path(), {});
    const auto up = run_molvault({"migrate"}, env);
    ASSERT_EQ(up.exit_code, 0) << up.output;
    EXPECT_NE(up.output.find("Applied 0001_"), std::string::npos);
    EXPECT_NE(up.output.find(" ms"), std::string::npos) << "each step reports its duration";

    const auto again = run_molvault({"migrate", "up"}, env);
    EXPECT_NE(again.output.find("Nothing to do"), std::string::npos);

    const auto status = run_molvault({"migrate", "status"}, env);
    EXPECT_NE(status.output.find("Current version: "), std::string::npos);
    EXPECT_EQ(status.output.find("Pending"), std::string::npos);

    const auto down = run_molvault({"migrate", "down", "--to", "0"}, env);
    ASSERT_EQ(down.exit_code, 0) << down.output;
    EXPECT_NE(down.output.find("Reverted 0001_"), std::string::npos);
    const auto after = run_molvault({"migrate", "status"}, env);
    EXPECT_NE(after.output.find("Current version: 0"), std::string::npos);
}

}  // namespace
}  // namespace molvault::test
