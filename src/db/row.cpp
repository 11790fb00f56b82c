// Row and Result accessors (declared in database.hpp).

#include <charconv>
#include <string>

#include <fmt/format.h>

#include "db/database.hpp"
#include "db/timestamp.hpp"

namespace molvault::db {
namespace {

template <class T>
std::optional<T> parse_number(const std::string& text) {
    T value{};
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return std::nullopt;
    }
    return value;
}

[[noreturn]] void throw_type_mismatch(std::size_t column, const char* expected) {
    throw DatabaseError(fmt::format("column {} is not {}", column, expected));
}

}  // namespace

bool Row::is_null(std::size_t column) const {
    if (column >= cells_.size()) {
        throw DatabaseError(
            fmt::format("column {} out of range (the row has {})", column, cells_.size())
        );
    }
    return !cells_[column].has_value();
}

const std::string& Row::text(std::size_t column) const {
    if (is_null(column)) {
        throw DatabaseError(fmt::format("column {} is NULL", column));
    }
    return *cells_[column];
}

std::optional<std::string> Row::optional_text(std::size_t column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return *cells_[column];
}

std::int64_t Row::integer(std::size_t column) const {
    const auto value = parse_number<std::int64_t>(text(column));
    if (!value) {
        throw_type_mismatch(column, "an integer");
    }
    return *value;
}

std::optional<std::int64_t> Row::optional_integer(std::size_t column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return integer(column);
}

double Row::real(std::size_t column) const {
    const auto value = parse_number<double>(text(column));
    if (!value) {
        throw_type_mismatch(column, "a number");
    }
    return *value;
}

bool Row::boolean(std::size_t column) const {
    const std::string& value = text(column);
    if (value == "1" || value == "t" || value == "true") {
        return true;
    }
    if (value == "0" || value == "f" || value == "false") {
        return false;
    }
    throw_type_mismatch(column, "a boolean");
}

Timestamp Row::timestamp(std::size_t column) const {
    const auto value = parse_timestamp(text(column));
    if (!value) {
        throw_type_mismatch(column, "a timestamp");
    }
    return *value;
}

std::optional<Timestamp> Row::optional_timestamp(std::size_t column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return timestamp(column);
}

const Row& Result::one() const {
    if (rows.size() != 1) {
        throw DatabaseError(fmt::format("expected exactly one row, got {}", rows.size()));
    }
    return rows.front();
}

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::kSqlite:
            return "sqlite";
        case Backend::kPostgres:
            return "postgres";
    }
    return "unknown";
}

}  // namespace molvault::db
