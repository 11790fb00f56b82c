#pragma once
// JSON request bodies and responses. Thread-safe free functions.
// parse_json_object throws molvault::Error: 415 for a non-JSON Content-Type, 400 for malformed
// JSON, 422 when the top level is not an object.

#include <nlohmann/json.hpp>

#include "http/message.hpp"

namespace molvault::http {

[[nodiscard]] nlohmann::json parse_json_object(const Request& request);
[[nodiscard]] Response json_response(int status, const nlohmann::json& body);

}  // namespace molvault::http
