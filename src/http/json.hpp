#pragma once
// JSON request bodies and responses. Thread-safe free functions.
// parse_json_object throws molvault::Error: 415 for a non-JSON Content-Type, 400 for malformed
// JSON, 422 when the top level is not an object.

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace molvault::http {

[[nodiscard]] nlohmann::json parse_json_object(const Request& request);
[[nodiscard]] Response json_response(int status, const nlohmann::json& body);

// Throws a 422 naming every field of `body` that is not in `allowed` (no mass assignment).
void reject_unknown_fields(
    const nlohmann::json& body, std::initializer_list<std::string_view> allowed
);

// The string field `name`, or a 422 when it is missing, not a string or over `max_bytes`.
[[nodiscard]] std::string required_string(
    const nlohmann::json& body, const char* name, std::size_t max_bytes
);

}  // namespace molvault::http
