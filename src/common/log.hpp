#pragma once
// Structured logging: one JSON object per line on stderr, with "time", "level", "event" and the
// given fields. Thread-safe (spdlog's synchronised sink). Fields whose key names a secret
// (password, token, secret, cookie, authorization, ...) are replaced by "[redacted]" before
// anything is written, so a careless call site cannot leak one.

#include <string_view>

#include <nlohmann/json.hpp>

namespace molvault::log {

enum class Level { kDebug, kInfo, kWarn, kError };

using Fields = nlohmann::json;  // an object; null means no fields

// Configures the process-wide logger once, at start-up (from LOG_LEVEL). Not thread-safe:
// call before any other thread logs.
void init(Level level);
[[nodiscard]] bool parse_level(std::string_view text, Level& level);
[[nodiscard]] bool enabled(Level level);

void write(Level level, std::string_view event, Fields fields);
inline void debug(std::string_view event, Fields fields = {}) {
    write(Level::kDebug, event, std::move(fields));
}
inline void info(std::string_view event, Fields fields = {}) {
    write(Level::kInfo, event, std::move(fields));
}
inline void warn(std::string_view event, Fields fields = {}) {
    write(Level::kWarn, event, std::move(fields));
}
inline void error(std::string_view event, Fields fields = {}) {
    write(Level::kError, event, std::move(fields));
}

// True for a key whose value must never be logged. Exposed for tests.
[[nodiscard]] bool is_secret_key(std::string_view key);
// Returns fields with secret values (at any depth) replaced. Exposed for tests.
[[nodiscard]] Fields redact(Fields fields);

}  // namespace molvault::log
