#include "common/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <string>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace molvault::log {
namespace {

constexpr std::array kSecretKeyParts = {
    "password",
    "passwd",
    "secret",
    "token",
    "cookie",
    "authorization",
    "hash",
    "pepper",
    "otp",
    "csrf",
    "apikey",
    "api_key",
    "credential",
};

std::atomic<Level> g_level{Level::kInfo};  // NOLINT: the logger is process-wide by nature

std::string_view level_name(Level level) {
    switch (level) {
        case Level::kDebug:
            return "debug";
        case Level::kInfo:
            return "info";
        case Level::kWarn:
            return "warn";
        case Level::kError:
            return "error";
    }
    return "info";
}

spdlog::logger& logger() {
    static const auto kLogger = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        auto created = std::make_shared<spdlog::logger>("molvault", std::move(sink));
        created->set_pattern("%v");
        created->set_level(spdlog::level::trace);
        created->flush_on(spdlog::level::trace);
        return created;
    }();
    return *kLogger;
}

std::string now_iso8601() {
    const auto now = std::chrono::system_clock::now();
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
        1'000'000;
    return fmt::format(
        "{:%Y-%m-%dT%H:%M:%S}.{:06}Z", std::chrono::floor<std::chrono::seconds>(now), micros
    );
}

}  // namespace

void init(Level level) {
    g_level.store(level);
    logger();
}

bool parse_level(std::string_view text, Level& level) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    if (lower == "debug" || lower == "trace") {
        level = Level::kDebug;
    } else if (lower == "info") {
        level = Level::kInfo;
    } else if (lower == "warn" || lower == "warning") {
        level = Level::kWarn;
    } else if (lower == "error" || lower == "critical") {
        level = Level::kError;
    } else {
        return false;
    }
    return true;
}

bool enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

bool is_secret_key(std::string_view key) {
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return std::any_of(kSecretKeyParts.begin(), kSecretKeyParts.end(), [&lower](const char* part) {
        return lower.find(part) != std::string::npos;
    });
}

Fields redact(Fields fields) {
    if (fields.is_object()) {
        for (auto& [key, value] : fields.items()) {
            if (is_secret_key(key)) {
                value = "[redacted]";
            } else {
                value = redact(std::move(value));
            }
        }
    } else if (fields.is_array()) {
        for (auto& value : fields) {
            value = redact(std::move(value));
        }
    }
    return fields;
}

void write(Level level, std::string_view event, Fields fields) {
    if (!enabled(level)) {
        return;
    }
    nlohmann::ordered_json line;
    line["time"] = now_iso8601();
    line["level"] = level_name(level);
    line["event"] = event;
    if (fields.is_object()) {
        auto safe = redact(std::move(fields));
        for (auto& [key, value] : safe.items()) {
            line[key] = std::move(value);
        }
    }
    logger().info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace molvault::log
