#pragma once
// application/problem+json (RFC 9457) responses. problem.cpp is the one place that maps an
// ErrorCode to an HTTP status. Pure functions; thread-safe.

#include <string_view>

#include "common/error.hpp"
#include "http/message.hpp"

namespace molvault::http {

[[nodiscard]] int status_for(ErrorCode code);

// A problem response for a request failure: status from the code, the error's client-safe
// message as "detail", field errors under "errors", Retry-After when the error carries one.
[[nodiscard]] Response problem_response(const Error& error, std::string_view request_id);

// A problem response built directly from a status (server-level failures such as 413/431).
[[nodiscard]] Response problem_response(
    int status, std::string_view detail, std::string_view request_id
);

}  // namespace molvault::http
