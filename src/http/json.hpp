#pragma once
// JSON request bodies and responses. Thread-safe free functions.
// parse_json_object throws molvault::Error: 415 for a non-JSON Content-Type, 400 for malformed
// JSON, 422 when the top level is not an object. The field helpers throw 422 (kValidation)
// naming the field: request bodies are explicit whitelists, so mass assignment cannot happen.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace molvault::http {

[[nodiscard]] nlohmann::json parse_json_object(const Request& request);
[[nodiscard]] Response json_response(int status, const nlohmann::json& body);

// Refuses (422, one field error per offender) any top-level field of `body` not in `allowed`.
void reject_unknown_fields(
    const nlohmann::json& body, std::initializer_list<std::string_view> allowed
);
// The field `name` of `body`: absent → std::nullopt; present but not a string (null included)
// → 422.
[[nodiscard]] std::optional<std::string> optional_string_field(
    const nlohmann::json& body, const char* name
);
// As optional_string_field, but absent is a 422 too.
[[nodiscard]] std::string required_string_field(const nlohmann::json& body, const char* name);
// As required_string_field, and a 422 when longer than `max_bytes`.
[[nodiscard]] std::string required_string(
    const nlohmann::json& body, const char* name, std::size_t max_bytes
);
// The field `name` of `body`: absent → std::nullopt; present but not true/false → 422.
[[nodiscard]] std::optional<bool> optional_bool_field(const nlohmann::json& body, const char* name);

// The field `name` of `body`: absent → std::nullopt; present but not an integer in
// [min, max] → 422 (1.0 is not an integer).
[[nodiscard]] std::optional<std::int64_t> optional_integer_field(
    const nlohmann::json& body, const char* name, std::int64_t min, std::int64_t max
);

// The field `name` of `body`: absent → std::nullopt; present but not a number in [min, max]
// → 422.
[[nodiscard]] std::optional<double> optional_number_field(
    const nlohmann::json& body, const char* name, double min, double max
);

}  // namespace molvault::http
