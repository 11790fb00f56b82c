#pragma once
// A SQLite session (libsqlite3): WAL journal, foreign keys on, synchronous=NORMAL, a busy timeout,
// and a per-connection cache of prepared statements keyed by SQL text. Placeholders $1..$n are
// bound by name. Not thread-safe: the pool lends it to one thread at a time (the handle is opened
// with SQLITE_OPEN_NOMUTEX for that reason).
// Errors: constraint codes map to UniqueViolation / ForeignKeyViolation / CheckViolation,
// SQLITE_BUSY / SQLITE_LOCKED (after the busy timeout) to SerializationFailure, the rest to
// DatabaseError. SQLite has no server, so it never throws ConnectionLost.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <sqlite3.h>

#include "db/connection.hpp"

namespace molvault::db {

struct SqliteCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct SqliteStatementFinalizer {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteStatementFinalizer>;

class SqliteConnection final : public Connection {
public:
    // Opens (creating the file and its parent directory if missing) and configures the session.
    // Throws DatabaseError.
    SqliteConnection(const std::string& path, std::chrono::milliseconds busy_timeout);

    [[nodiscard]] Backend backend() const noexcept override { return Backend::kSqlite; }
    Result execute(const Statement& statement, std::span<const Value> params) override;
    void execute_script(std::string_view sql) override;
    [[nodiscard]] bool is_usable() noexcept override { return db_ != nullptr; }
    [[nodiscard]] bool ping() noexcept override;
    [[nodiscard]] bool in_transaction() const noexcept override;
    [[nodiscard]] std::string quote_identifier(std::string_view name) override;

private:
    sqlite3_stmt* prepare(const Statement& statement);
    void bind(sqlite3_stmt* prepared, const Statement& statement, std::span<const Value> params);
    [[noreturn]] void throw_error(int code, std::string_view statement_name) const;

    SqliteHandle db_;
    std::unordered_map<std::string, SqliteStatement> statements_;
};

}  // namespace molvault::db
