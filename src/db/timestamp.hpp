#pragma once
// Conversions between db::Timestamp and the canonical text form both backends store and return:
// fixed-width ISO-8601 UTC with microseconds, "2026-11-23T10:00:00.000000Z". Fixed width makes
// text comparison (SQLite) agree with time order. Pure functions, thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace molvault::db {

// Throws DatabaseError for a year outside 0001..9999 (the canonical form has four digits).
[[nodiscard]] std::string format_timestamp(Timestamp timestamp);

// Parses "YYYY-MM-DD[T| ]HH:MM:SS[.f{1,6}][Z|±HH[:MM]]"; no zone means UTC. This accepts the
// canonical form, PostgreSQL's text output and SQLite's strftime()/datetime() results.
// Returns std::nullopt for anything else (including out-of-range fields).
[[nodiscard]] std::optional<Timestamp> parse_timestamp(std::string_view text);

}  // namespace molvault::db
