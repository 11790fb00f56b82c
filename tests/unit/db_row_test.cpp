// Row accessors and the canonical timestamp text form (no database needed).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "db/migrator.hpp"
#include "db/timestamp.hpp"

namespace molvault::db {
namespace {

using namespace std::chrono_literals;

Timestamp at(std::chrono::year_month_day day, std::chrono::microseconds time_of_day) {
    return std::chrono::sys_days(day) + time_of_day;
}

Row row_of(std::vector<std::optional<std::string>> cells) { return Row(std::move(cells)); }

TEST(DbTimestamp, FormatsFixedWidthUtcWithSixFractionDigits) {
    const auto ts = at(2026y / 11 / 23, 10h + 5min + 7s + 42us);
    EXPECT_EQ(format_timestamp(ts), "2026-11-23T10:05:07.000042Z");
}

TEST(DbTimestamp, FormatsTimesBeforeTheEpoch) {
    const auto ts = at(1969y / 12 / 31, 23h + 59min + 59s + 999999us);
    EXPECT_EQ(format_timestamp(ts), "1969-12-31T23:59:59.999999Z");
}

TEST(DbTimestamp, RefusesToFormatYearsBeyondFourDigits) {
    EXPECT_THROW((void)format_timestamp(at(10000y / 1 / 1, 0us)), DatabaseError);
}

TEST(DbTimestamp, ParsesWhatItFormats) {
    const auto ts = at(2024y / 2 / 29, 23h + 59min + 59s + 123456us);
    EXPECT_EQ(parse_timestamp(format_timestamp(ts)), ts);
}

TEST(DbTimestamp, ParsesEveryAcceptedSpelling) {
    const auto expected = at(2026y / 11 / 23, 10h + 500000us);
    const struct {
        const char* text;
    } cases[] = {
        {"2026-11-23T10:00:00.500000Z"},
        {"2026-11-23 10:00:00.5+00"},
        {"2026-11-23T10:00:00.500"},
        {"2026-11-23T11:00:00.5+01:00"},
        {"2026-11-23T09:30:00.5-0030"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(parse_timestamp(c.text), expected);
    }
}

TEST(DbTimestamp, RejectsMalformedText) {
    const struct {
        const char* text;
    } cases[] = {
        {""},
        {"2026-11-23"},
        {"2026-13-01T00:00:00Z"},
        {"2026-02-30T00:00:00Z"},
        {"2026-11-23T24:00:00Z"},
        {"2026-11-23T10:00:00.Z"},
        {"2026-11-23T10:00:00.1234567Z"},
        {"2026-11-23T10:00:00Zjunk"},
        {"infinity"},
        {"0000-01-01T00:00:00Z"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(parse_timestamp(c.text), std::nullopt);
    }
}

TEST(DbRow, ReadsTextAndReportsNull) {
    const auto row = row_of({"hello", std::nullopt});
    EXPECT_EQ(row.size(), 2U);
    EXPECT_EQ(row.text(0), "hello");
    EXPECT_FALSE(row.is_null(0));
    EXPECT_TRUE(row.is_null(1));
    EXPECT_EQ(row.optional_text(1), std::nullopt);
    EXPECT_THROW((void)row.text(1), DatabaseError);
}

TEST(DbRow, ThrowsForAColumnOutOfRange) {
    const auto row = row_of({"1"});
    EXPECT_THROW((void)row.is_null(1), DatabaseError);
    EXPECT_THROW((void)row.text(5), DatabaseError);
}

TEST(DbRow, ReadsIntegersAndRejectsNonIntegers) {
    const auto row = row_of({"-9223372036854775808", "42", "4.2", "12abc", std::nullopt, ""});
    EXPECT_EQ(row.integer(0), INT64_MIN);
    EXPECT_EQ(row.optional_integer(1), 42);
    EXPECT_THROW((void)row.integer(2), DatabaseError);
    EXPECT_THROW((void)row.integer(3), DatabaseError);
    EXPECT_EQ(row.optional_integer(4), std::nullopt);
    EXPECT_THROW((void)row.integer(4), DatabaseError);
    EXPECT_THROW((void)row.integer(5), DatabaseError);
}

TEST(DbRow, ReadsRealsIncludingIntegerText) {
    const auto row = row_of({"3.141592653589793", "2", "1e300", "abc"});
    EXPECT_DOUBLE_EQ(row.real(0), 3.141592653589793);
    EXPECT_DOUBLE_EQ(row.real(1), 2.0);
    EXPECT_DOUBLE_EQ(row.real(2), 1e300);
    EXPECT_THROW((void)row.real(3), DatabaseError);
}

TEST(DbRow, ReadsEveryBooleanSpelling) {
    const struct {
        const char* text;
        bool value;
    } cases[] = {
        {"1", true},
        {"t", true},
        {"true", true},
        {"0", false},
        {"f", false},
        {"false", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        EXPECT_EQ(row_of({c.text}).boolean(0), c.value);
    }
    EXPECT_THROW((void)row_of({"yes"}).boolean(0), DatabaseError);
    EXPECT_THROW((void)row_of({"2"}).boolean(0), DatabaseError);
}

TEST(DbRow, ReadsTimestampsInTheCanonicalForm) {
    const auto row = row_of({"2026-11-23T10:00:00.000001Z", std::nullopt, "yesterday"});
    EXPECT_EQ(row.timestamp(0), at(2026y / 11 / 23, 10h + 1us));
    EXPECT_EQ(row.optional_timestamp(1), std::nullopt);
    EXPECT_THROW((void)row.timestamp(2), DatabaseError);
}

TEST(DbRow, ReadsBlobsWithZeroBytes) {
    const std::string bytes("a\0b\xff", 4);
    EXPECT_EQ(row_of({bytes}).blob(0), bytes);
}

TEST(DbResult, OneRequiresExactlyOneRow) {
    Result result;
    EXPECT_THROW((void)result.one(), DatabaseError);
    result.rows.push_back(row_of({"x"}));
    EXPECT_EQ(result.one().text(0), "x");
    result.rows.push_back(row_of({"y"}));
    EXPECT_THROW((void)result.one(), DatabaseError);
}

TEST(DbMigrations, BothBackendsShipTheSameVersionsWithUpAndDownScripts) {
    const auto sqlite = migrations_for(Backend::kSqlite);
    const auto postgres = migrations_for(Backend::kPostgres);
    ASSERT_FALSE(sqlite.empty());
    ASSERT_EQ(sqlite.size(), postgres.size());
    for (std::size_t i = 0; i < sqlite.size(); ++i) {
        SCOPED_TRACE(sqlite[i].name);
        EXPECT_EQ(sqlite[i].version, static_cast<int>(i) + 1);
        EXPECT_EQ(postgres[i].version, sqlite[i].version);
        EXPECT_EQ(postgres[i].name, sqlite[i].name);
        EXPECT_FALSE(sqlite[i].up_sql.empty());
        EXPECT_FALSE(sqlite[i].down_sql.empty());
        EXPECT_FALSE(postgres[i].up_sql.empty());
        EXPECT_FALSE(postgres[i].down_sql.empty());
    }
}

}  // namespace
}  // namespace molvault::db
