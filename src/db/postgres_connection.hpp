#pragma once
// A PostgreSQL session (libpq). Sessions run with TimeZone=UTC and application_name=molvault.
// Parameters are sent as text with type 0 (the server infers the type), Blob as binary bytea.
// Result cells are normalised: bool → "1"/"0", bytea → raw bytes, timestamp/timestamptz → the
// canonical "YYYY-MM-DDTHH:MM:SS.ffffffZ", everything else as PostgreSQL's text output.
// Statements are prepared per session: the first execute() of an SQL text (with given parameter
// types) prepares it under a name of its own (PQprepare), and later ones only bind and run it
// (PQexecPrepared), so the server parses it once per session rather than on every call, and
// plans it once too where a generic plan looks no worse (PostgreSQL's plan_cache_mode). A
// prepare that fails is not remembered. A statement the session no longer
// knows (DEALLOCATE, DISCARD) or whose result shape the schema changed is prepared again: at
// once outside a transaction, else by the next call. The cache lives and dies with the
// session (a broken one is discarded by the pool, never reset); at kMaxPrepared statements,
// further new texts run unprepared. execute_script() never prepares.
// Not thread-safe: the pool lends it to one thread at a time.
// Errors: SQLSTATE 23505/23503/23514 → UniqueViolation/ForeignKeyViolation/CheckViolation,
// 40001/40P01 → SerializationFailure, a broken session (class 08, 57P01..57P03, or PQstatus
// bad) → ConnectionLost, anything else → DatabaseError. Messages carry the statement name,
// SQLSTATE and the server's primary message, never a parameter value or the password.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

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

    // Statements prepared on one session at most; others run unprepared (PQexecParams).
    static constexpr std::size_t kMaxPrepared = 512;

private:
    // An SQL text with the parameter types it was prepared for (0: the server infers it).
    struct PreparedKey {
        std::string sql;
        std::vector<Oid> types;
        bool operator==(const PreparedKey&) const = default;
    };
    struct PreparedKeyHash {
        [[nodiscard]] std::size_t operator()(const PreparedKey& key) const noexcept;
    };

    // The name `key` is prepared under on this session, preparing it first if it is new; null
    // when the cache is full. Throws (and remembers nothing) when the prepare fails.
    [[nodiscard]] const std::string* prepared_name(
        const PreparedKey& key, std::string_view statement_name
    );
    // Throws the typed error for a failed (or missing) result.
    [[noreturn]] void throw_error(const PGresult* result, std::string_view statement_name);

    PgConn connection_;
    std::unordered_map<PreparedKey, std::string, PreparedKeyHash> prepared_;
    std::vector<std::string> orphaned_;  // forgotten here, perhaps still held by the session
    std::uint64_t prepared_count_ = 0;   // names are never reused within a session
};

}  // namespace molvault::db
