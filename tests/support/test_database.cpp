#include "support/test_database.hpp"

#include <mutex>
#include <stdexcept>
#include <vector>

#include "common/random.hpp"
#include "support/test_services.hpp"

namespace molvault::db {

void PrintTo(Backend backend, std::ostream* out) { *out << backend_name(backend); }

}  // namespace molvault::db

namespace molvault::test {
namespace {

constexpr std::size_t kRandomBytes = 6;

std::string postgres_url(const std::string& user, const std::string& dbname) {
    const auto& services = test_services();
    return "postgresql://" + user + "@" + services.pg_host + ":" + services.pg_port + "/" + dbname;
}

std::unique_ptr<db::Database> open_admin(const std::string& admin_url) {
    db::DatabaseOptions options;
    options.url = admin_url;
    options.pool.size = 1;
    options.pool.max_overflow = 0;
    return db::Database::open(options);
}

}  // namespace

void run_admin_sql(const std::string& sql) {
    const auto admin = open_admin(test_services().pg_admin_url);
    auto connection = admin->acquire();
    connection.execute_script(sql);
}

TestDatabase::TestDatabase(db::Backend backend, const std::string& owner) : backend_(backend) {
    const std::string suffix = random_hex(kRandomBytes);
    if (backend == db::Backend::kSqlite) {
        directory_ = std::filesystem::temp_directory_path() / ("mv_test_" + suffix);
        std::filesystem::create_directories(directory_);
        name_ = (directory_ / "molvault.db").string();
        url_ = "sqlite:" + name_;
        return;
    }
    name_ = "mv_test_" + suffix;
    admin_url_ = test_services().pg_admin_url;
    const auto admin = open_admin(admin_url_);
    auto connection = admin->acquire();
    // CREATE DATABASE cannot take parameters; the name is ours (hex), the owner quoted.
    std::string sql = "CREATE DATABASE " + name_;
    if (!owner.empty()) {
        sql += " OWNER " + connection.quote_identifier(owner);
    }
    connection.execute_script(sql);
    url_ = postgres_url("postgres", name_);
}

TestDatabase::~TestDatabase() {
    try {
        if (backend_ == db::Backend::kSqlite) {
            std::error_code ignored;
            std::filesystem::remove_all(directory_, ignored);
            return;
        }
        // Uses the stored admin URL: at exit test_services() may already be destroyed.
        const auto admin = open_admin(admin_url_);
        auto connection = admin->acquire();
        connection.execute_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
        // A leftover mv_test_* database is harmless: the cluster is per test run.
    }
}

std::string TestDatabase::url_as(const std::string& user) const {
    if (backend_ != db::Backend::kPostgres) {
        throw std::logic_error("url_as is for PostgreSQL test databases");
    }
    return postgres_url(user, name_);
}

std::unique_ptr<db::Database> TestDatabase::open(const db::PoolOptions& pool) const {
    db::DatabaseOptions options;
    options.pool = pool;
    return open(std::move(options));
}

std::unique_ptr<db::Database> TestDatabase::open(db::DatabaseOptions options) const {
    options.url = url_;
    return db::Database::open(options);
}

std::unique_ptr<db::Database> TestDatabase::open() const {
    db::PoolOptions pool;
    pool.size = 4;
    pool.max_overflow = 2;
    pool.timeout = std::chrono::seconds(10);
    return open(pool);
}

std::string database_url(db::Backend backend) {
    static std::mutex mutex;
    static std::vector<std::unique_ptr<TestDatabase>> databases;  // dropped at exit
    auto database = std::make_unique<TestDatabase>(backend);
    std::string url = database->url();
    const std::lock_guard lock(mutex);
    databases.push_back(std::move(database));
    return url;
}

}  // namespace molvault::test
