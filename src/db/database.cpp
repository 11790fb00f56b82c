// PooledConnection, Transaction and Database::open (declared in database.hpp).

#include "db/database.hpp"

#include <utility>

#include <fmt/format.h>

#include "common/log.hpp"
#include "config/database_url.hpp"
#include "db/connection.hpp"
#include "db/connection_pool.hpp"
#include "db/postgres_connection.hpp"
#include "db/sqlite_connection.hpp"

namespace molvault::db {
namespace {

constexpr Statement kPing{"ping", "SELECT 1"};
constexpr Statement kBegin{"begin", "BEGIN"};
// SQLite: take the write lock at BEGIN, so a writer waits on the busy timeout instead of failing
// later when a read lock cannot be upgraded. PostgreSQL has no such upgrade problem.
constexpr Statement kBeginImmediate{"begin", "BEGIN IMMEDIATE"};
constexpr Statement kCommit{"commit", "COMMIT"};
constexpr Statement kRollback{"rollback", "ROLLBACK"};

class PooledDatabase final : public Database {
public:
    PooledDatabase(Backend backend, const DatabaseOptions& options, ConnectionPool::Factory factory)
        : backend_(backend), pool_(options.pool, options.slow_query, std::move(factory)) {}

    [[nodiscard]] Backend backend() const override { return backend_; }
    [[nodiscard]] PooledConnection acquire() override { return {pool_, pool_.acquire()}; }
    [[nodiscard]] bool ping() noexcept override {
        try {
            auto connection = acquire();
            connection.execute(kPing);
            return true;
        } catch (...) {
            return false;
        }
    }
    [[nodiscard]] PoolStats pool_stats() const override { return pool_.stats(); }

private:
    Backend backend_;
    ConnectionPool pool_;
};

void log_if_slow(
    std::string_view name,
    std::chrono::steady_clock::duration elapsed,
    std::chrono::milliseconds limit
) {
    if (elapsed <= limit) {
        return;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    log::warn("slow_query", {{"statement", name}, {"duration_ms", ms}});
}

}  // namespace

PooledConnection::PooledConnection(ConnectionPool& pool, std::unique_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(other.pool_),
      connection_(std::move(other.connection_)),
      broken_(std::exchange(other.broken_, false)) {}

PooledConnection::~PooledConnection() {
    if (connection_) {
        pool_->release(std::move(connection_), broken_);
    }
}

Result PooledConnection::execute(const Statement& statement, std::span<const Value> params) {
    if (!connection_) {
        throw DatabaseError("execute on a moved-from connection");
    }
    const auto start = std::chrono::steady_clock::now();
    try {
        auto result = connection_->execute(statement, params);
        log_if_slow(statement.name, std::chrono::steady_clock::now() - start, pool_->slow_query());
        return result;
    } catch (const ConnectionLost&) {
        broken_ = true;
        throw;
    } catch (...) {
        log_if_slow(statement.name, std::chrono::steady_clock::now() - start, pool_->slow_query());
        throw;
    }
}

void PooledConnection::execute_script(std::string_view sql) {
    if (!connection_) {
        throw DatabaseError("execute_script on a moved-from connection");
    }
    const auto start = std::chrono::steady_clock::now();
    try {
        connection_->execute_script(sql);
    } catch (const ConnectionLost&) {
        broken_ = true;
        throw;
    }
    log_if_slow("script", std::chrono::steady_clock::now() - start, pool_->slow_query());
}

void PooledConnection::discard() noexcept { broken_ = true; }

Backend PooledConnection::backend() const {
    if (!connection_) {
        throw DatabaseError("backend of a moved-from connection");
    }
    return connection_->backend();
}

std::string PooledConnection::quote_identifier(std::string_view name) {
    if (!connection_) {
        throw DatabaseError("quote_identifier on a moved-from connection");
    }
    return connection_->quote_identifier(name);
}

Transaction::Transaction(PooledConnection connection) : connection_(std::move(connection)) {
    connection_.execute(connection_.backend() == Backend::kSqlite ? kBeginImmediate : kBegin);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::move(other.connection_)), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
    if (!open_) {
        return;
    }
    try {
        connection_.execute(kRollback);
    } catch (...) {
        connection_.discard();  // the session state is unknown: never lend it again
    }
}

Result Transaction::execute(const Statement& statement, std::span<const Value> params) {
    if (!open_) {
        throw DatabaseError("execute on a finished transaction");
    }
    return connection_.execute(statement, params);
}

void Transaction::commit() {
    if (!open_) {
        throw DatabaseError("commit on a finished transaction");
    }
    // If COMMIT fails the transaction stays open here, and the destructor rolls back (SQLite
    // keeps it open on BUSY; PostgreSQL has already ended it and ignores the ROLLBACK).
    connection_.execute(kCommit);
    open_ = false;
}

std::unique_ptr<Database> Database::open(const DatabaseOptions& options) {
    const auto parsed = config::parse_database_url(options.url);
    if (!parsed) {
        throw DatabaseError(fmt::format("invalid database URL: {}", parsed.error()));
    }
    std::unique_ptr<Database> database;
    if (parsed->kind == config::DatabaseKind::kSqlite) {
        const std::string path = parsed->sqlite_path;
        const auto busy_timeout = options.sqlite_busy_timeout;
        database = std::make_unique<PooledDatabase>(
            Backend::kSqlite,
            options,
            [path, busy_timeout]() -> std::unique_ptr<Connection> {
                return std::make_unique<SqliteConnection>(path, busy_timeout);
            }
        );
    } else {
        const std::string url = options.url;
        const std::string secret = parsed->password.value_or("");
        database = std::make_unique<PooledDatabase>(
            Backend::kPostgres,
            options,
            [url, secret]() -> std::unique_ptr<Connection> {
                return std::make_unique<PostgresConnection>(url, secret);
            }
        );
    }
    // Fail fast on a bad URL, bad credentials or an unreachable server.
    { auto first = database->acquire(); }
    return database;
}

}  // namespace molvault::db
