#include "db/postgres_connection.hpp"

#include <array>
#include <charconv>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <poll.h>

#include "db/timestamp.hpp"

namespace molvault::db {
namespace {

// Type OIDs from pg_type.h (server headers are not part of libpq-dev).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kTimestampOid = 1114;
constexpr Oid kTimestampTzOid = 1184;

constexpr int kTextFormat = 0;
constexpr int kBinaryFormat = 1;
// How many pending reads is_usable() consumes from an idle socket before giving up on it.
constexpr int kMaxIdleReads = 4;

struct PgFree {
    void operator()(void* memory) const noexcept { PQfreemem(memory); }
};

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

std::string mask(std::string text, const std::string& secret) {
    if (secret.empty()) {
        return text;
    }
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
        text.replace(pos, secret.size(), "***");
    }
    return text;
}

std::string format_double(double value) {
    std::array<char, 32> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return ec == std::errc() ? std::string(buffer.data(), end) : std::string();
}

std::string decode_bytea(const char* text) {
    std::size_t size = 0;
    const std::unique_ptr<unsigned char, PgFree> bytes(
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size)
    );
    if (!bytes) {
        throw DatabaseError("cannot decode a bytea value");
    }
    return {reinterpret_cast<const char*>(bytes.get()), size};
}

std::string decode_cell(Oid type, const char* text, int length) {
    switch (type) {
        case kBoolOid:
            return text[0] == 't' ? "1" : "0";
        case kByteaOid:
            return decode_bytea(text);
        case kTimestampOid:
        case kTimestampTzOid: {
            // With TimeZone=UTC both print as "2026-11-23 10:00:00.5+00" (timestamp without the
            // zone). Values outside the canonical range (infinity, BC, year > 9999) stay as
            // PostgreSQL prints them, and Row::timestamp() rejects them.
            const auto parsed = parse_timestamp(std::string_view(text, length));
            return parsed ? format_timestamp(*parsed) : std::string(text, length);
        }
        default:
            return {text, static_cast<std::size_t>(length)};
    }
}

bool succeeded(const PGresult* result) {
    const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY;
}

std::string_view sqlstate_of(const PGresult* result) {
    const char* value = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    return value != nullptr ? value : "";
}

// The session no longer knows the prepared statement (DEALLOCATE or DISCARD ran).
constexpr std::string_view kUnknownStatement = "26000";
// Among others, "cached plan must not change result type": a schema change altered the shape
// of a prepared statement's result, and only preparing it again cures that.
constexpr std::string_view kFeatureNotSupported = "0A000";

// The rows, cells normalised as the header says.
Result read_result(PGresult* result) {
    Result out;
    const int rows = PQntuples(result);
    const int columns = PQnfields(result);
    std::vector<Oid> types(static_cast<std::size_t>(columns));
    for (int column = 0; column < columns; ++column) {
        types[static_cast<std::size_t>(column)] = PQftype(result, column);
    }
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int row = 0; row < rows; ++row) {
        std::vector<std::optional<std::string>> cells;
        cells.reserve(types.size());
        for (int column = 0; column < columns; ++column) {
            if (PQgetisnull(result, row, column) != 0) {
                cells.emplace_back(std::nullopt);
                continue;
            }
            cells.emplace_back(decode_cell(
                types[static_cast<std::size_t>(column)],
                PQgetvalue(result, row, column),
                PQgetlength(result, row, column)
            ));
        }
        out.rows.emplace_back(std::move(cells));
    }
    const std::string_view affected = PQcmdTuples(result);
    if (!affected.empty()) {
        std::from_chars(affected.data(), affected.data() + affected.size(), out.affected_rows);
    }
    return out;
}

bool is_connection_state(std::string_view sqlstate) {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

// Parameters as libpq wants them: parallel arrays, text buffers owned here.
class PgParams {
public:
    explicit PgParams(std::span<const Value> params)
        : texts_(params.size()),
          values_(params.size(), nullptr),
          lengths_(params.size(), 0),
          formats_(params.size(), kTextFormat),
          types_(params.size(), 0) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            std::visit([this, i](const auto& value) { set(i, value); }, params[i]);
        }
    }

    [[nodiscard]] int size() const { return static_cast<int>(values_.size()); }
    [[nodiscard]] const std::vector<Oid>& types() const { return types_; }
    [[nodiscard]] const char* const* values() const { return values_.data(); }
    [[nodiscard]] const int* lengths() const { return lengths_.data(); }
    [[nodiscard]] const int* formats() const { return formats_.data(); }

private:
    void set(std::size_t /*i*/, std::nullptr_t /*null*/) {}
    void set(std::size_t i, std::int64_t value) { set_text(i, std::to_string(value)); }
    void set(std::size_t i, double value) { set_text(i, format_double(value)); }
    void set(std::size_t i, bool value) { set_text(i, value ? "1" : "0"); }
    void set(std::size_t i, Timestamp value) { set_text(i, format_timestamp(value)); }
    void set(std::size_t i, const std::string& value) {
        if (value.find('\0') != std::string::npos) {
            // A text parameter is NUL-terminated on the wire; PostgreSQL text cannot hold NUL.
            throw DatabaseError(fmt::format("text parameter ${} contains a NUL byte", i + 1));
        }
        values_[i] = value.c_str();  // params outlive the PQexecParams call
    }
    void set(std::size_t i, const Blob& value) {
        values_[i] = value.bytes.data();
        lengths_[i] = static_cast<int>(value.bytes.size());
        formats_[i] = kBinaryFormat;
        types_[i] = kByteaOid;  // binary input needs a known type; bytea's is the raw bytes
    }
    void set_text(std::size_t i, std::string text) {
        texts_[i] = std::move(text);
        values_[i] = texts_[i].c_str();
    }

    std::vector<std::string> texts_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<Oid> types_;
};

}  // namespace

PostgresConnection::PostgresConnection(const std::string& url, const std::string& secret) {
    // Later keywords override the expanded URL, earlier ones are defaults the URL may override.
    const std::array<const char*, 4> keywords = {
        "connect_timeout", "dbname", "application_name", nullptr};
    const std::array<const char*, 4> values = {"10", url.c_str(), "molvault", nullptr};
    connection_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (!connection_) {
        throw ConnectionLost("cannot connect to PostgreSQL: out of memory");
    }
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
        throw ConnectionLost(fmt::format(
            "cannot connect to PostgreSQL: {}",
            mask(trimmed(PQerrorMessage(connection_.get())), secret)
        ));
    }
    // Notices (e.g. "table does not exist, skipping") would go to stderr unstructured.
    PQsetNoticeProcessor(
        connection_.get(), [](void* /*arg*/, const char* /*message*/) {}, nullptr
    );
    execute_script("SET TimeZone TO 'UTC'");
}

std::size_t PostgresConnection::PreparedKeyHash::operator()(const PreparedKey& key) const noexcept {
    std::size_t hash = std::hash<std::string_view>{}(key.sql);
    for (const Oid type : key.types) {
        hash = hash * 31 + type;
    }
    return hash;
}

const std::string* PostgresConnection::prepared_name(
    const PreparedKey& key, std::string_view statement_name
) {
    if (const auto found = prepared_.find(key); found != prepared_.end()) {
        return &found->second;
    }
    if (!orphaned_.empty() && PQtransactionStatus(connection_.get()) == PQTRANS_IDLE) {
        for (const auto& orphan : orphaned_) {
            // Fails harmlessly when the session has dropped it already.
            const PgResult ignored(PQexec(connection_.get(), ("DEALLOCATE " + orphan).c_str()));
        }
        orphaned_.clear();
    }
    if (prepared_.size() + orphaned_.size() >= kMaxPrepared) {
        return nullptr;
    }
    // A counter, not a hash of the text: two texts can never share a name.
    std::string name = fmt::format("molvault_{}", ++prepared_count_);
    const PgResult result(PQprepare(
        connection_.get(),
        name.c_str(),
        key.sql.c_str(),
        static_cast<int>(key.types.size()),
        key.types.data()
    ));
    if (!succeeded(result.get())) {
        throw_error(result.get(), statement_name);
    }
    return &prepared_.emplace(key, std::move(name)).first->second;
}

Result PostgresConnection::execute(const Statement& statement, std::span<const Value> params) {
    const PgParams bound(params);
    const PreparedKey key{std::string(statement.sql), bound.types()};
    for (bool first_attempt = true;; first_attempt = false) {
        const std::string* name = prepared_name(key, statement.name);
        const PgResult result(
            name != nullptr ? PQexecPrepared(
                                  connection_.get(),
                                  name->c_str(),
                                  bound.size(),
                                  bound.values(),
                                  bound.lengths(),
                                  bound.formats(),
                                  kTextFormat
                              )
                            : PQexecParams(
                                  connection_.get(),
                                  key.sql.c_str(),
                                  bound.size(),
                                  bound.types().data(),
                                  bound.values(),
                                  bound.lengths(),
                                  bound.formats(),
                                  kTextFormat
                              )
        );
        if (succeeded(result.get())) {
            return read_result(result.get());
        }
        const auto sqlstate = sqlstate_of(result.get());
        if (name == nullptr ||
            (sqlstate != kUnknownStatement && sqlstate != kFeatureNotSupported)) {
            throw_error(result.get(), statement.name);
        }
        // Forget it, so the next call prepares it again; the session still holds it unless it
        // was unknown there, and then drops it when it is next outside a transaction.
        if (sqlstate != kUnknownStatement) {
            orphaned_.push_back(*name);
        }
        prepared_.erase(key);
        // Outside a transaction block the failed call changed nothing, so it can run again at
        // once; inside one the transaction is aborted, and the caller's retry prepares anew.
        if (!first_attempt || PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
            throw_error(result.get(), statement.name);
        }
    }
}

void PostgresConnection::execute_script(std::string_view sql) {
    const std::string text(sql);
    const PgResult result(PQexec(connection_.get(), text.c_str()));
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY) {
        throw_error(result.get(), "script");
    }
}

bool PostgresConnection::is_usable() noexcept {
    if (!connection_ || PQstatus(connection_.get()) != CONNECTION_OK) {
        return false;
    }
    // An idle session has nothing to read unless the server spoke on its own: usually a FATAL
    // (57P01, server shutting down) followed by EOF. Consuming it turns the status to BAD
    // without a round trip. The socket is non-blocking inside libpq, so this never waits.
    for (int i = 0; i < kMaxIdleReads; ++i) {
        pollfd socket{PQsocket(connection_.get()), POLLIN, 0};
        if (socket.fd < 0 || poll(&socket, 1, 0) < 0) {
            return false;
        }
        if (socket.revents == 0) {
            break;
        }
        if (PQconsumeInput(connection_.get()) == 0) {
            return false;
        }
        if (PQstatus(connection_.get()) != CONNECTION_OK) {
            return false;
        }
    }
    return PQstatus(connection_.get()) == CONNECTION_OK;
}

bool PostgresConnection::ping() noexcept {
    const PgResult result(PQexec(connection_.get(), "SELECT 1"));
    return result && PQresultStatus(result.get()) == PGRES_TUPLES_OK;
}

bool PostgresConnection::in_transaction() const noexcept {
    return PQtransactionStatus(connection_.get()) != PQTRANS_IDLE;
}

std::string PostgresConnection::quote_identifier(std::string_view name) {
    const std::unique_ptr<char, PgFree> quoted(
        PQescapeIdentifier(connection_.get(), name.data(), name.size())
    );
    if (!quoted) {
        throw DatabaseError(fmt::format(
            "cannot quote an identifier: {}", trimmed(PQerrorMessage(connection_.get()))
        ));
    }
    return quoted.get();
}

void PostgresConnection::throw_error(const PGresult* result, std::string_view statement_name) {
    const auto field = [result](int code) -> std::string {
        const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
        return value != nullptr ? value : "";
    };
    const std::string sqlstate = field(PG_DIAG_SQLSTATE);
    std::string primary = field(PG_DIAG_MESSAGE_PRIMARY);
    if (sqlstate.starts_with("22") || sqlstate.starts_with("P0")) {
        // Data exceptions quote the offending input ("invalid input syntax for type uuid: ..."),
        // which may be a parameter; the SQLSTATE says enough.
        primary = "data exception";
    } else if (primary.empty()) {
        primary = trimmed(PQerrorMessage(connection_.get()));  // libpq's own (connection) error
    }
    const std::string message = fmt::format(
        "PostgreSQL error in {}: {} (SQLSTATE {})",
        statement_name,
        primary,
        sqlstate.empty() ? "none" : sqlstate
    );
    if (PQstatus(connection_.get()) != CONNECTION_OK || is_connection_state(sqlstate)) {
        prepared_.clear();  // the statements died with the session
        orphaned_.clear();
        throw ConnectionLost(message);
    }
    const std::string constraint = field(PG_DIAG_CONSTRAINT_NAME);
    if (sqlstate == "23505") {
        throw UniqueViolation(message, constraint);
    }
    if (sqlstate == "23503") {
        throw ForeignKeyViolation(message, constraint);
    }
    if (sqlstate == "23514") {
        throw CheckViolation(message, constraint);
    }
    if (sqlstate == "40001" || sqlstate == "40P01") {
        throw SerializationFailure(message);
    }
    throw DatabaseError(message);
}

}  // namespace molvault::db
