#pragma once
// BackendTest: the fixture of end-to-end tests that run once per database backend
// (INSTANTIATE_TEST_SUITE_P with db::Backend values): a fresh database per test, the real
// binary started on it, an admin connection to check what it wrote, and the users and projects
// most tests begin with.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "support/api_caller.hpp"
#include "support/molvault_process.hpp"
#include "support/test_database.hpp"

namespace molvault::test {

class BackendTest : public testing::TestWithParam<db::Backend> {
protected:
    void SetUp() override { database_ = std::make_unique<TestDatabase>(GetParam()); }

    // A server on this test's database, with rate limits off (these tests make many requests)
    // unless `env` says otherwise.
    std::unique_ptr<MolvaultProcess> start(EnvMap env = {}) {
        env["DATABASE_URL"] = database_->url();
        env.try_emplace("RATE_LIMIT_ENABLED", "false");
        return std::make_unique<MolvaultProcess>(env);
    }

    // Runs `statement` on the test's database as its administrator.
    db::Result query(const db::Statement& statement, std::initializer_list<db::Value> params = {}) {
        if (!admin_) {
            admin_ = database_->open();
        }
        return admin_->execute(statement, params);
    }

    // The one integer `sql` answers.
    std::int64_t scalar(const std::string& sql, std::initializer_list<db::Value> params = {}) {
        return query({"scalar", sql}, params).one().integer(0);
    }

    // A newly registered, signed-in user of `server`.
    static ApiCaller caller(const MolvaultProcess& server, const std::string& email) {
        return ApiCaller(server.port(), sign_up(server.port(), email));
    }

    // Creates a project of `who` and returns its id.
    static std::string project(ApiCaller& who, const std::string& name, bool standardize = true) {
        const auto created =
            who.send("POST", "/api/v1/projects", {{"name", name}, {"standardize", standardize}});
        EXPECT_EQ(created.status, 201) << created.body;
        return created.json().value("id", "");
    }

    std::unique_ptr<TestDatabase> database_;

private:
    std::unique_ptr<db::Database> admin_;
};

}  // namespace molvault::test
