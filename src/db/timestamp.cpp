#include "db/timestamp.hpp"

#include <cctype>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>

namespace molvault::db {
namespace {

constexpr int kMinYear = 1;
constexpr int kMaxYear = 9999;
constexpr int kFractionDigits = 6;

// Reads exactly `digits` decimal digits at `pos`, advancing it.
std::optional<int> read_number(std::string_view text, std::size_t& pos, std::size_t digits) {
    if (pos + digits > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const char c = text[pos + i];
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

// Parses the zone suffix at `pos` (which must end the text): "", "Z", "±HH", "±HHMM", "±HH:MM".
std::optional<std::chrono::minutes> read_offset(std::string_view text, std::size_t pos) {
    if (pos == text.size()) {
        return std::chrono::minutes(0);
    }
    if (text[pos] == 'Z' || text[pos] == 'z') {
        return pos + 1 == text.size() ? std::optional(std::chrono::minutes(0)) : std::nullopt;
    }
    if (text[pos] != '+' && text[pos] != '-') {
        return std::nullopt;
    }
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto hours = read_number(text, pos, 2);
    if (!hours || *hours > 23) {
        return std::nullopt;
    }
    int minutes = 0;
    if (pos < text.size()) {
        expect(text, pos, ':');
        const auto parsed = read_number(text, pos, 2);
        if (!parsed || *parsed > 59 || pos != text.size()) {
            return std::nullopt;
        }
        minutes = *parsed;
    }
    return std::chrono::minutes(sign * (*hours * 60 + minutes));
}

}  // namespace

std::string format_timestamp(Timestamp timestamp) {
    using namespace std::chrono;
    const auto day = floor<days>(timestamp);
    const year_month_day date{day};
    const int year = static_cast<int>(date.year());
    if (year < kMinYear || year > kMaxYear) {
        throw DatabaseError("timestamp out of range (years 0001-9999)");
    }
    const hh_mm_ss time{timestamp - day};
    return fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        year,
        static_cast<unsigned>(date.month()),
        static_cast<unsigned>(date.day()),
        time.hours().count(),
        time.minutes().count(),
        time.seconds().count(),
        time.subseconds().count()
    );
}

std::optional<Timestamp> parse_timestamp(std::string_view text) {
    using namespace std::chrono;
    std::size_t pos = 0;
    const auto year = read_number(text, pos, 4);
    if (!year || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto month = read_number(text, pos, 2);
    if (!month || !expect(text, pos, '-')) {
        return std::nullopt;
    }
    const auto day = read_number(text, pos, 2);
    if (!day || !(expect(text, pos, 'T') || expect(text, pos, ' '))) {
        return std::nullopt;
    }
    const auto hour = read_number(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto minute = read_number(text, pos, 2);
    if (!minute || !expect(text, pos, ':')) {
        return std::nullopt;
    }
    const auto second = read_number(text, pos, 2);
    if (!second) {
        return std::nullopt;
    }
    std::int64_t micros = 0;
    if (expect(text, pos, '.')) {
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
            if (digits == kFractionDigits) {
                return std::nullopt;  // finer than we store: refuse rather than round
            }
            micros = micros * 10 + (text[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) {
            return std::nullopt;
        }
        for (; digits < kFractionDigits; ++digits) {
            micros *= 10;
        }
    }
    const auto offset = read_offset(text, pos);
    if (!offset) {
        return std::nullopt;
    }
    const year_month_day date{
        std::chrono::year(*year),
        std::chrono::month(static_cast<unsigned>(*month)),
        std::chrono::day(static_cast<unsigned>(*day))};
    if (*year < kMinYear || !date.ok() || *hour > 23 || *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    return sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) +
           microseconds(micros) - *offset;
}

}  // namespace molvault::db
