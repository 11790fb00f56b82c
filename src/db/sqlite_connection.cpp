#include "db/sqlite_connection.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <limits>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>

#include "db/timestamp.hpp"

namespace molvault::db {
namespace {

// Statement texts are constants, so the cache stays small; the cap only guards against a caller
// that builds SQL dynamically.
constexpr std::size_t kMaxCachedStatements = 512;

// Resets a cached statement however execute() leaves, so it never holds a read lock or
// references to the caller's parameter buffers.
class ResetGuard {
public:
    explicit ResetGuard(sqlite3_stmt* statement) : statement_(statement) {}
    ResetGuard(const ResetGuard&) = delete;
    ResetGuard& operator=(const ResetGuard&) = delete;
    ~ResetGuard() {
        sqlite3_reset(statement_);
        sqlite3_clear_bindings(statement_);
    }

private:
    sqlite3_stmt* statement_;
};

struct SqliteFree {
    void operator()(char* text) const noexcept { sqlite3_free(text); }
};

std::string format_double(double value) {
    std::array<char, 32> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return ec == std::errc() ? std::string(buffer.data(), end) : std::string();
}

std::string read_cell_text(sqlite3_stmt* statement, int column, bool blob) {
    const int size = sqlite3_column_bytes(statement, column);
    const void* data = blob ? sqlite3_column_blob(statement, column)
                            : static_cast<const void*>(sqlite3_column_text(statement, column));
    if (data == nullptr || size <= 0) {
        return {};
    }
    return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

}  // namespace

SqliteConnection::SqliteConnection(
    const std::string& path, std::chrono::milliseconds busy_timeout
) {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            throw DatabaseError(fmt::format(
                "cannot create the directory of the SQLite database {}: {}", path, ec.message()
            ));
        }
    }
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // sqlite3_open_v2 allocates a handle even on failure
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
        throw DatabaseError(fmt::format("cannot open SQLite database {}: {}", path, message));
    }
    sqlite3_extended_result_codes(db_.get(), 1);
    const auto timeout_ms = std::min<std::chrono::milliseconds::rep>(
        busy_timeout.count(), std::numeric_limits<int>::max()
    );
    sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout_ms));
    // WAL lets readers run beside the one writer; NORMAL sync is durable at checkpoints and safe
    // against corruption in WAL mode.
    execute_script(
        "PRAGMA journal_mode = WAL;"
        "PRAGMA foreign_keys = ON;"
        "PRAGMA synchronous = NORMAL;"
    );
}

sqlite3_stmt* SqliteConnection::prepare(const Statement& statement) {
    const std::string key(statement.sql);
    if (const auto found = statements_.find(key); found != statements_.end()) {
        return found->second.get();
    }
    if (statements_.size() >= kMaxCachedStatements) {
        statements_.clear();
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(
        db_.get(),
        statement.sql.data(),
        static_cast<int>(statement.sql.size()),
        SQLITE_PREPARE_PERSISTENT,
        &raw,
        &tail
    );
    SqliteStatement owned(raw);
    if (rc != SQLITE_OK) {
        throw_error(rc, statement.name);
    }
    if (!owned) {
        throw DatabaseError(fmt::format("statement {} is empty", statement.name));
    }
    const std::string_view rest(tail, statement.sql.data() + statement.sql.size() - tail);
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
        throw DatabaseError(fmt::format(
            "statement {} holds more than one SQL statement (use execute_script)", statement.name
        ));
    }
    auto* const prepared = owned.get();
    statements_.emplace(key, std::move(owned));
    return prepared;
}

void SqliteConnection::bind(
    sqlite3_stmt* prepared, const Statement& statement, std::span<const Value> params
) {
    if (sqlite3_bind_parameter_count(prepared) != static_cast<int>(params.size())) {
        throw DatabaseError(fmt::format(
            "statement {} takes {} parameters, {} given",
            statement.name,
            sqlite3_bind_parameter_count(prepared),
            params.size()
        ));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string name = fmt::format("${}", i + 1);
        const int index = sqlite3_bind_parameter_index(prepared, name.c_str());
        if (index == 0) {
            throw DatabaseError(
                fmt::format("statement {} has no parameter {}", statement.name, name)
            );
        }
        // Strings and blobs are bound SQLITE_STATIC: params outlive the step, and ResetGuard
        // clears the bindings before execute() returns. Formatted timestamps are temporaries.
        const int rc = std::visit(
            [prepared, index](const auto& value) -> int {
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, std::nullptr_t>) {
                    return sqlite3_bind_null(prepared, index);
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    return sqlite3_bind_int64(prepared, index, value);
                } else if constexpr (std::is_same_v<T, double>) {
                    return sqlite3_bind_double(prepared, index, value);
                } else if constexpr (std::is_same_v<T, std::string>) {
                    return sqlite3_bind_text64(
                        prepared, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8
                    );
                } else if constexpr (std::is_same_v<T, bool>) {
                    return sqlite3_bind_int64(prepared, index, value ? 1 : 0);
                } else if constexpr (std::is_same_v<T, Timestamp>) {
                    const std::string text = format_timestamp(value);
                    return sqlite3_bind_text64(
                        prepared, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8
                    );
                } else {
                    static_assert(std::is_same_v<T, Blob>);
                    return sqlite3_bind_blob64(
                        prepared, index, value.bytes.data(), value.bytes.size(), SQLITE_STATIC
                    );
                }
            },
            params[i]
        );
        if (rc != SQLITE_OK) {
            throw_error(rc, statement.name);
        }
    }
}

Result SqliteConnection::execute(const Statement& statement, std::span<const Value> params) {
    sqlite3_stmt* const prepared = prepare(statement);
    const ResetGuard reset(prepared);
    bind(prepared, statement, params);
    Result result;
    const int columns = sqlite3_column_count(prepared);
    while (true) {
        const int rc = sqlite3_step(prepared);
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rc != SQLITE_ROW) {
            throw_error(rc, statement.name);
        }
        std::vector<std::optional<std::string>> cells;
        cells.reserve(static_cast<std::size_t>(columns));
        for (int column = 0; column < columns; ++column) {
            switch (sqlite3_column_type(prepared, column)) {
                case SQLITE_NULL:
                    cells.emplace_back(std::nullopt);
                    break;
                case SQLITE_INTEGER:
                    cells.emplace_back(std::to_string(sqlite3_column_int64(prepared, column)));
                    break;
                case SQLITE_FLOAT:
                    cells.emplace_back(format_double(sqlite3_column_double(prepared, column)));
                    break;
                case SQLITE_BLOB:
                    cells.emplace_back(read_cell_text(prepared, column, true));
                    break;
                default:
                    cells.emplace_back(read_cell_text(prepared, column, false));
                    break;
            }
        }
        result.rows.emplace_back(std::move(cells));
    }
    if (sqlite3_stmt_readonly(prepared) == 0) {
        result.affected_rows = sqlite3_changes64(db_.get());
    }
    return result;
}

void SqliteConnection::execute_script(std::string_view sql) {
    const std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
    char* raw_message = nullptr;
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &raw_message);
    const std::unique_ptr<char, SqliteFree> message(raw_message);
    if (rc != SQLITE_OK) {
        throw_error(rc, "script");
    }
}

bool SqliteConnection::ping() noexcept {
    return sqlite3_exec(db_.get(), "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool SqliteConnection::in_transaction() const noexcept {
    return sqlite3_get_autocommit(db_.get()) == 0;
}

std::string SqliteConnection::quote_identifier(std::string_view name) {
    std::string quoted = "\"";
    for (const char c : name) {
        if (c == '\0') {
            throw DatabaseError("an identifier cannot contain NUL");
        }
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

void SqliteConnection::throw_error(int code, std::string_view statement_name) const {
    // sqlite3_errmsg names the constraint or the problem; it never quotes bound values.
    const std::string message = fmt::format(
        "SQLite error in {}: {} ({})",
        statement_name,
        sqlite3_errmsg(db_.get()),
        sqlite3_errstr(code)
    );
    switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            throw UniqueViolation(message, "");
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            throw ForeignKeyViolation(message, "");
        case SQLITE_CONSTRAINT_CHECK:
            throw CheckViolation(message, "");
        default:
            break;
    }
    const int primary = code & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        throw SerializationFailure(message);
    }
    throw DatabaseError(message);
}

}  // namespace molvault::db
