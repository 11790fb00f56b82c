#pragma once
// A PostgreSQL session (libpq). Sessions run with TimeZone=UTC and application_name=molvault.
// Parameters are sent as text with type 0 (the server infers the type), Blob as binary bytea.
// Result cells are normalised: bool → "1"/"0", bytea → raw bytes, timestamp/timestamptz → the
// canonical "YYYY-MM-DDTHH:MM:SS.ffffffZ", everything else as PostgreSQL's text output.
// Not thread-safe: the pool lends it to one thread at a time.
// Errors: SQLSTATE 23505/23503/23514 → UniqueViolation/ForeignKeyViolation/CheckViolation,
// 40001/40P01 → SerializationFailure, a broken session (class 08, 57P01..57P03, or PQstatus
// bad) → ConnectionLost, anything else → DatabaseError. Messages carry the statement name,
// SQLSTATE and the server's primary message, never a parameter value or the password.

#include <memory>
#include <string>

#include <libpq-fe.h>

#include "db/connection.hpp"

namespace molvault::db {

struct PgConnFinisher {
    void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};
struct PgResultClearer {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgConn = std::unique_ptr<PGconn, PgConnFinisher>;
using PgResult = std::unique_ptr<PGresult, PgResultClearer>;

class PostgresConnection final : public Connection {
public:
    // Connects to `url` (postgresql://...). Throws ConnectionLost when the server cannot be
    // reached or refuses us; `secret` (the URL's password, if any) is masked in the message.
    PostgresConnection(const std::string& url, const std::string& secret);

    [[nodiscard]] Backend backend() const noexcept override { return Backend::kPostgres; }
    Result execute(const Statement& statement, std::span<const Value> params) override;
    void execute_script(std::string_view sql) override;
    [[nodiscard]] bool is_usable() noexcept override;
    [[nodiscard]] bool ping() noexcept override;
    [[nodiscard]] bool in_transaction() const noexcept override;
    [[nodiscard]] std::string quote_identifier(std::string_view name) override;

private:
    // Throws the typed error for a failed (or missing) result.
    [[noreturn]] void throw_error(const PGresult* result, std::string_view statement_name) const;

    PgConn connection_;
};

}  // namespace molvault::db
