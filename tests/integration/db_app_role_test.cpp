// Least privilege on PostgreSQL: the schema belongs to an admin role that runs migrations; the
// service connects as an app role that may read and write rows but never change the schema.
//
// Operator setup this test reproduces: an admin role (LOGIN, no superuser, no CREATEDB) owns the
// database, so in PostgreSQL 15 it also owns the public schema (pg_database_owner); the app role
// is LOGIN only. The operator runs `REVOKE CREATE ON SCHEMA public FROM PUBLIC` (already the
// default since PostgreSQL 15, but stated explicitly so the setup is safe on older servers),
// then `molvault migrate` as the admin, which grants the app role its row privileges.

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "common/random.hpp"
#include "db/database.hpp"
#include "db/migrator.hpp"
#include "support/test_database.hpp"

namespace molvault::db {
namespace {

constexpr Statement kInsertUser{
    "test_insert_user",
    "INSERT INTO users (id, email, email_normalized, hashed_password, created_at, updated_at) "
    "VALUES ($1, $2, $2, 'x', $3, $3)"};
constexpr Statement kSelectUser{"test_select_user", "SELECT email FROM users WHERE id = $1"};
constexpr Statement kUpdateUser{
    "test_update_user", "UPDATE users SET email_verified = true WHERE id = $1"};
constexpr Statement kDeleteUser{"test_delete_user", "DELETE FROM users WHERE id = $1"};
constexpr Statement kInsertAudit{
    "test_insert_audit",
    "INSERT INTO audit_events (occurred_at, event, user_id, outcome) VALUES ($1, 'login', $2, "
    "'ok') RETURNING id"};
constexpr Statement kDropUsers{"test_drop_users", "DROP TABLE users"};
constexpr Statement kAlterUsers{"test_alter_users", "ALTER TABLE users ADD COLUMN x int"};
constexpr Statement kCreateTable{"test_create_table", "CREATE TABLE t (x int)"};
constexpr Statement kForgeMigration{
    "test_forge_migration",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'evil', now())"};
constexpr Statement kCreateLaterTable{
    "test_create_later_table", "CREATE TABLE later (id BIGSERIAL PRIMARY KEY, note TEXT)"};
constexpr Statement kInsertLater{
    "test_insert_later", "INSERT INTO later (note) VALUES ($1) RETURNING id"};

Timestamp now_micros() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

// Cluster-wide roles for one test, dropped after the test database is gone.
class TestRoles {
public:
    TestRoles() {
        const std::string suffix = random_hex(4);
        admin = "mv_admin_" + suffix;
        app = "mv_app_" + suffix;
        test::run_admin_sql(
            "CREATE ROLE " + admin + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;" +
            "CREATE ROLE " + app + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;"
        );
    }
    TestRoles(const TestRoles&) = delete;
    TestRoles& operator=(const TestRoles&) = delete;
    ~TestRoles() {
        try {
            test::run_admin_sql("DROP ROLE IF EXISTS " + app + "; DROP ROLE IF EXISTS " + admin);
        } catch (...) {
            // The cluster is per test run; a leftover role does no harm.
        }
    }

    std::string admin;
    std::string app;
};

class DbAppRole : public testing::Test {
protected:
    void SetUp() override {
        // The operator's step, run as superuser on the new database.
        {
            DatabaseOptions superuser;
            superuser.url = database_.url();
            const auto db = Database::open(superuser);
            auto connection = db->acquire();
            connection.execute_script("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        }
        admin_db_ = open_as(roles_.admin);
        Migrator migrator(*admin_db_);
        migrator.up();
        migrator.grant_app_role(roles_.app);
        app_db_ = open_as(roles_.app);
    }

    std::unique_ptr<Database> open_as(const std::string& user) {
        DatabaseOptions options;
        options.url = database_.url_as(user);
        options.pool.size = 2;
        options.pool.max_overflow = 0;
        return Database::open(options);
    }

    // Declaration order is teardown order reversed: pools close, the database is dropped,
    // then the roles.
    TestRoles roles_;
    test::TestDatabase database_{Backend::kPostgres, roles_.admin};
    std::unique_ptr<Database> admin_db_;
    std::unique_ptr<Database> app_db_;
};

TEST_F(DbAppRole, AppRoleCanReadAndWriteRows) {
    const std::string id = uuid_v4();

    app_db_->execute(kInsertUser, {id, "app@example.com", now_micros()});
    const auto audit = app_db_->execute(kInsertAudit, {now_micros(), id});

    EXPECT_EQ(app_db_->execute(kSelectUser, {id}).one().text(0), "app@example.com");
    EXPECT_GE(audit.one().integer(0), 1);  // the BIGSERIAL sequence is usable
    EXPECT_EQ(app_db_->execute(kUpdateUser, {id}).affected_rows, 1);
    EXPECT_EQ(app_db_->execute(kDeleteUser, {id}).affected_rows, 1);
}

TEST_F(DbAppRole, AppRoleCannotChangeTheSchema) {
    EXPECT_THROW(app_db_->execute(kDropUsers), DatabaseError);
    EXPECT_THROW(app_db_->execute(kAlterUsers), DatabaseError);
    EXPECT_THROW(app_db_->execute(kCreateTable), DatabaseError);
}

TEST_F(DbAppRole, AppRoleCanReadButNotRewriteTheMigrationHistory) {
    const auto status = Migrator(*app_db_).status();

    EXPECT_EQ(status.current_version, status.latest_version);
    EXPECT_THROW(app_db_->execute(kForgeMigration), DatabaseError);
}

TEST_F(DbAppRole, DefaultPrivilegesCoverTablesCreatedByLaterMigrations) {
    admin_db_->execute(kCreateLaterTable);

    const auto inserted = app_db_->execute(kInsertLater, {std::string("later")});

    EXPECT_EQ(inserted.one().integer(0), 1);
}

TEST_F(DbAppRole, GrantingTwiceIsHarmless) {
    Migrator(*admin_db_).grant_app_role(roles_.app);

    EXPECT_NO_THROW(app_db_->execute(kSelectUser, {uuid_v4()}));
}

}  // namespace
}  // namespace molvault::db
