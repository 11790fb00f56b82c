#pragma once
// An isolated, empty database for one test: SQLite in a fresh temporary directory, or a fresh
// PostgreSQL database `mv_test_<random>` created on the test cluster (test_services()) and
// dropped WITH (FORCE) in the destructor, so tests can run side by side.
// Not thread-safe to construct or destroy concurrently with itself; the url is immutable.
// Throws std::runtime_error (or db::DatabaseError) when the database cannot be created;
// the destructor never throws.

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>

#include "db/database.hpp"

namespace molvault::db {
// Prints "sqlite" / "postgres" in GoogleTest messages and ctest names (found by ADL).
void PrintTo(Backend backend, std::ostream* out);
}  // namespace molvault::db

namespace molvault::test {

class TestDatabase {
public:
    // `owner` (PostgreSQL only) becomes the database owner; empty: the superuser.
    explicit TestDatabase(db::Backend backend, const std::string& owner = "");
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;
    ~TestDatabase();

    [[nodiscard]] db::Backend backend() const { return backend_; }
    // DATABASE_URL for this database: sqlite:PATH or postgresql://postgres@host:port/name.
    [[nodiscard]] const std::string& url() const { return url_; }
    // The URL for another user of the same database (PostgreSQL; trust auth, no password).
    [[nodiscard]] std::string url_as(const std::string& user) const;
    // PostgreSQL: the database name; SQLite: the file path.
    [[nodiscard]] const std::string& name() const { return name_; }

    // Opens the database with small, test-friendly pool settings unless given others.
    [[nodiscard]] std::unique_ptr<db::Database> open(const db::PoolOptions& pool) const;
    [[nodiscard]] std::unique_ptr<db::Database> open() const;
    // Opens with `options` (its url is replaced by this database's).
    [[nodiscard]] std::unique_ptr<db::Database> open(db::DatabaseOptions options) const;

private:
    db::Backend backend_;
    std::string name_;
    std::string url_;
    std::string admin_url_;            // PostgreSQL only
    std::filesystem::path directory_;  // SQLite only
};

// A fresh, empty database for `backend` that lives until the test program exits (then it is
// dropped), for tests that start the real binary with DATABASE_URL. Thread-safe.
[[nodiscard]] std::string database_url(db::Backend backend);

// Runs SQL as the PostgreSQL superuser on the maintenance database (CREATE ROLE, ...).
void run_admin_sql(const std::string& sql);

}  // namespace molvault::test
