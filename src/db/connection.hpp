#pragma once
// One backend session (a sqlite3* or a PGconn*), private to db/. The pool owns idle connections;
// a PooledConnection owns a lent one. Not thread-safe: one thread at a time uses a connection.
// execute() and execute_script() throw the DatabaseError family from database.hpp; the
// health checks never throw.

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace molvault::db {

class Connection {
public:
    using Clock = std::chrono::steady_clock;

    Connection() : created_at_(Clock::now()) {}
    virtual ~Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Connection(Connection&&) = delete;
    Connection& operator=(Connection&&) = delete;

    [[nodiscard]] virtual Backend backend() const noexcept = 0;
    // Runs one statement with $1..$n bound to params.
    virtual Result execute(const Statement& statement, std::span<const Value> params) = 0;
    // Runs several ;-separated statements without parameters.
    virtual void execute_script(std::string_view sql) = 0;
    // Cheap and local (no round trip): false when the session is known to be broken, e.g. the
    // server closed the socket while the connection sat idle.
    [[nodiscard]] virtual bool is_usable() noexcept = 0;
    // A trivial query; false when the server does not answer it.
    [[nodiscard]] virtual bool ping() noexcept = 0;
    // True inside BEGIN ... COMMIT; a connection must not go back to the pool in that state.
    [[nodiscard]] virtual bool in_transaction() const noexcept = 0;
    // `name` quoted as an SQL identifier (PostgreSQL: PQescapeIdentifier).
    [[nodiscard]] virtual std::string quote_identifier(std::string_view name) = 0;

    [[nodiscard]] Clock::time_point created_at() const noexcept { return created_at_; }

private:
    Clock::time_point created_at_;
};

}  // namespace molvault::db
