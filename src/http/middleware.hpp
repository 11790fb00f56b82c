#pragma once
// The standard middleware of molvault's HTTP stack, and helpers the server applies to responses
// it makes itself (413, 431, 503). Each factory returns a Middleware for Router::use; all are
// thread-safe once built (they hold only immutable configuration or thread-safe observers).

#include <chrono>
#include <string>
#include <vector>

#include "http/router.hpp"

namespace molvault::http {

// Keeps X-Request-ID when it is 1–128 of [A-Za-z0-9._-], otherwise generates a random one.
void assign_request_id(Request& request);

// X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Referrer-Policy,
// Content-Security-Policy, Cache-Control (no-store unless the handler chose), and
// Strict-Transport-Security when `production`. Applied to every response.
void apply_security_headers(Response& response, bool production);
[[nodiscard]] Middleware security_headers(bool production);

// Turns molvault::Error into its problem+json response and any other exception into a generic
// 500 whose detail is logged (with the request id), never sent.
[[nodiscard]] Middleware catch_all();

// CORS for exact origins. A listed Origin gets Access-Control-Allow-Origin (that origin) and
// Allow-Credentials; an unlisted one gets no CORS headers, and its preflight gets 403.
[[nodiscard]] Middleware cors(std::vector<std::string> allowed_origins);

// Told about every request; implemented by the metrics registry. Must be thread-safe.
class RequestObserver {
public:
    virtual ~RequestObserver() = default;
    virtual void request_started() = 0;
    virtual void request_finished(
        const std::string& method,
        const std::string& route,
        int status,
        std::chrono::nanoseconds duration
    ) = 0;
};

// Logs one "http_request" event per request (request id, method, route, status, duration, body
// bytes; never the query string, headers or body) and reports it to `observer`. A streamed
// response is logged when the handler returns, marked "streamed"; the server logs its size and
// outcome as "http_stream_finished" with the same request id when it ends. The duration is the
// handler's, not the stream's.
[[nodiscard]] Middleware access_log(RequestObserver& observer);

}  // namespace molvault::http
