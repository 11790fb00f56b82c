#pragma once
// The one database interface of molvault, with two backends: SQLite (the embedded default) and
// PostgreSQL (libpq). SQL text is shared by both where the dialects agree: placeholders are
// written $1, $2, ... on both (SQLite reads "$1" as a named parameter; we bind by name).
//
// Thread-safety: Database and its pool are thread-safe; share one Database. A PooledConnection
// or Transaction belongs to one thread at a time and must not be shared.
//
// Errors: every backend failure is thrown as a DatabaseError subclass below. Constraint
// violations are typed (UniqueViolation, ...) so services can map them to domain errors;
// anything else is an infrastructure fault that becomes a 500. Exhausting the pool throws
// PoolTimeout, a molvault::Error (503 with Retry-After).

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace molvault::db {

enum class Backend { kSqlite, kPostgres };

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

struct Blob {
    std::string bytes;
};

// A bound parameter. Timestamps are stored as TIMESTAMPTZ on PostgreSQL and as fixed-width
// ISO-8601 UTC text ("2026-11-23T10:00:00.000000Z") on SQLite, so they compare correctly in SQL.
using Value =
    std::variant<std::nullptr_t, std::int64_t, double, std::string, bool, Timestamp, Blob>;

// The text, or SQL NULL when there is none.
[[nodiscard]] inline Value nullable_text(const std::optional<std::string>& text) {
    return text ? Value{*text} : Value{nullptr};
}

// A named SQL statement. The name (not the SQL, never the parameters) appears in the slow-query
// log. Define each as a constexpr constant beside the repository function that runs it.
struct Statement {
    std::string_view name;
    std::string_view sql;
};

// One result row. Cells are normalised by the backend: booleans read as "1"/"0", bytea as raw
// bytes, timestamps in the canonical ISO-8601 form above. Accessors throw DatabaseError on a
// type mismatch or NULL (use is_null / optional_* first where NULL is allowed).
class Row {
public:
    explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}

    [[nodiscard]] std::size_t size() const { return cells_.size(); }
    [[nodiscard]] bool is_null(std::size_t column) const;
    [[nodiscard]] const std::string& text(std::size_t column) const;
    [[nodiscard]] std::optional<std::string> optional_text(std::size_t column) const;
    [[nodiscard]] std::int64_t integer(std::size_t column) const;
    [[nodiscard]] std::optional<std::int64_t> optional_integer(std::size_t column) const;
    [[nodiscard]] double real(std::size_t column) const;
    [[nodiscard]] bool boolean(std::size_t column) const;
    [[nodiscard]] Timestamp timestamp(std::size_t column) const;
    [[nodiscard]] std::optional<Timestamp> optional_timestamp(std::size_t column) const;
    [[nodiscard]] const std::string& blob(std::size_t column) const { return text(column); }

private:
    std::vector<std::optional<std::string>> cells_;
};

struct Result {
    std::vector<Row> rows;
    std::int64_t affected_rows = 0;  // INSERT/UPDATE/DELETE count

    [[nodiscard]] bool empty() const { return rows.empty(); }
    [[nodiscard]] const Row& one() const;  // throws DatabaseError unless exactly one row
};

class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;  // message is internal: log it, never send it
};
class ConstraintViolation : public DatabaseError {
public:
    ConstraintViolation(std::string message, std::string constraint)
        : DatabaseError(std::move(message)), constraint_(std::move(constraint)) {}
    // The constraint or index name when the backend reports one (PostgreSQL), else "".
    [[nodiscard]] const std::string& constraint() const { return constraint_; }

private:
    std::string constraint_;
};
class UniqueViolation : public ConstraintViolation {
public:
    using ConstraintViolation::ConstraintViolation;
};
class ForeignKeyViolation : public ConstraintViolation {
public:
    using ConstraintViolation::ConstraintViolation;
};
class CheckViolation : public ConstraintViolation {
public:
    using ConstraintViolation::ConstraintViolation;
};
// A transaction lost a race (PostgreSQL 40001/40P01, SQLite BUSY after the busy timeout);
// the caller may retry the whole transaction.
class SerializationFailure : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};
// The connection broke (server gone, restarted). The pool discards the connection.
class ConnectionLost : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

// No connection became free within the pool timeout.
class PoolTimeout : public Error {
public:
    PoolTimeout() : Error(ErrorCode::kUnavailable, "The service is busy; try again shortly") {
        with_retry_after(std::chrono::seconds(1));
    }
};

struct PoolOptions {
    int size = 20;          // connections kept open
    int max_overflow = 10;  // extra connections opened under load, closed when returned
    std::chrono::milliseconds timeout{30'000};  // wait for a free connection
    bool pre_ping = true;                       // check an idle connection before lending it
    std::chrono::seconds recycle{3600};         // close connections older than this
};

struct DatabaseOptions {
    std::string url;  // sqlite:PATH or postgresql://...
    PoolOptions pool;
    std::chrono::milliseconds slow_query{100};  // log statements slower than this
    std::chrono::milliseconds sqlite_busy_timeout{5'000};
};

struct PoolStats {
    int size = 0;                     // open connections (idle + in use)
    int in_use = 0;                   // lent out now
    int idle = 0;                     // open and free
    int waiting = 0;                  // threads waiting for a connection
    int max = 0;                      // size + max_overflow
    std::int64_t overflow_total = 0;  // overflow connections opened so far
    std::int64_t timeouts_total = 0;  // acquire() calls that gave up
    std::int64_t created_total = 0;
    std::int64_t discarded_total = 0;  // broken, recycled or overflow connections closed
};

class Connection;  // a backend session; defined in connection.hpp, private to db/
class ConnectionPool;

// A connection lent by the pool; returns it on destruction. Movable, not copyable.
class PooledConnection {
public:
    PooledConnection(ConnectionPool& pool, std::unique_ptr<Connection> connection);
    PooledConnection(PooledConnection&& other) noexcept;
    PooledConnection& operator=(PooledConnection&&) = delete;
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;
    ~PooledConnection();

    Result execute(const Statement& statement, std::span<const Value> params = {});
    Result execute(const Statement& statement, std::initializer_list<Value> params) {
        return execute(statement, std::span<const Value>(params.begin(), params.size()));
    }
    // Runs several ;-separated statements without parameters (migrations, admin).
    void execute_script(std::string_view sql);
    // Marks the connection broken: it is closed instead of returned.
    void discard() noexcept;
    [[nodiscard]] Backend backend() const;
    // `name` quoted as an SQL identifier for DDL that cannot take a parameter (GRANT ... TO
    // role); on PostgreSQL this is PQescapeIdentifier.
    [[nodiscard]] std::string quote_identifier(std::string_view name);

private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
    bool broken_ = false;
};

// BEGIN on construction (SQLite: BEGIN IMMEDIATE, so writers queue on the busy timeout instead
// of failing on a lock upgrade); ROLLBACK in the destructor unless commit() ran. A failed
// ROLLBACK discards the connection. Never throws from the destructor.
class Transaction {
public:
    explicit Transaction(PooledConnection connection);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    Result execute(const Statement& statement, std::span<const Value> params = {});
    Result execute(const Statement& statement, std::initializer_list<Value> params) {
        return execute(statement, std::span<const Value>(params.begin(), params.size()));
    }
    void commit();
    [[nodiscard]] Backend backend() const { return connection_.backend(); }

private:
    PooledConnection connection_;
    bool open_ = true;
};

class Database {
public:
    virtual ~Database() = default;

    // Opens the pool for options.url (eagerly opens one connection to fail fast on a bad URL or
    // an unreachable server: throws DatabaseError).
    [[nodiscard]] static std::unique_ptr<Database> open(const DatabaseOptions& options);

    [[nodiscard]] virtual Backend backend() const = 0;
    [[nodiscard]] virtual PooledConnection acquire() = 0;  // throws PoolTimeout
    [[nodiscard]] Transaction begin() { return Transaction(acquire()); }
    // One statement in its own implicit transaction.
    Result execute(const Statement& statement, std::initializer_list<Value> params = {}) {
        auto connection = acquire();
        return connection.execute(statement, std::span<const Value>(params.begin(), params.size()));
    }
    // True when a connection can be had and answers a trivial query.
    [[nodiscard]] virtual bool ping() noexcept = 0;
    [[nodiscard]] virtual PoolStats pool_stats() const = 0;
};

[[nodiscard]] const char* backend_name(Backend backend);

}  // namespace molvault::db
