#pragma once
// Parses DATABASE_URL: `sqlite:PATH` (or `sqlite://PATH`, `sqlite:///ABSOLUTE`) and
// `postgresql://user:password@host:port/dbname?param=value` (`postgres://` too). Pure functions,
// thread-safe. Bad input is a return value, not an exception.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace molvault::config {

enum class DatabaseKind { kSqlite, kPostgres };

struct DatabaseUrl {
    DatabaseKind kind = DatabaseKind::kSqlite;
    std::string sqlite_path;  // kSqlite only
    std::string user;         // kPostgres only, percent-decoded
    std::optional<std::string> password;
    std::string host;  // empty means the libpq default (a Unix socket)
    std::string port;
    std::string dbname;
    std::map<std::string, std::string> params;  // e.g. sslmode
};

[[nodiscard]] Expected<DatabaseUrl, std::string> parse_database_url(std::string_view url);

// The URL with any password replaced by "***", safe to log.
[[nodiscard]] std::string redact_database_url(std::string_view url);

// True when the host is loopback or a Unix socket, where TLS adds nothing.
[[nodiscard]] bool is_local_host(std::string_view host);

}  // namespace molvault::config
