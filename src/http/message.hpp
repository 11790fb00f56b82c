#pragma once
// Request and Response: molvault's own HTTP message types. Beast stays inside server.cpp, so
// routes, middleware and their tests compile without it. A Request belongs to one worker thread
// for the duration of one call; neither type is shared between threads.
//
// Bodies are usually whole strings. Two exceptions, for uploads and exports of any size: a
// route registered with RouteOptions::streamed_body gets its body through Request::body_reader
// (see body_reader.hpp), and a handler may answer with Response::stream (see body_stream.hpp).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/body_reader.hpp"
#include "http/body_stream.hpp"

namespace molvault::http {

namespace status {
constexpr int kOk = 200;
constexpr int kCreated = 201;
constexpr int kNoContent = 204;
constexpr int kNotModified = 304;
constexpr int kBadRequest = 400;
constexpr int kUnauthorized = 401;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kMethodNotAllowed = 405;
constexpr int kConflict = 409;
constexpr int kPayloadTooLarge = 413;
constexpr int kUnsupportedMediaType = 415;
constexpr int kUnprocessableEntity = 422;
constexpr int kTooManyRequests = 429;
constexpr int kHeadersTooLarge = 431;
constexpr int kInternalServerError = 500;
constexpr int kServiceUnavailable = 503;
}  // namespace status

// Header fields in arrival order; names compare case-insensitively.
class Headers {
public:
    // The first value of `name`, if present.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> get_all(std::string_view name) const;
    [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
    // Replaces every field named `name` with one field.
    void set(std::string_view name, std::string value);
    // Appends a field (for repeatable fields such as Set-Cookie).
    void add(std::string_view name, std::string value);
    void erase(std::string_view name);
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& fields() const {
        return fields_;
    }

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// Who sent a request, as established by the authentication middleware. Absent on requests that
// carry no valid credentials.
struct AuthContext {
    std::string user_id;
    std::string role;
    std::string tier;         // "free", "pro" or "enterprise": selects the per-user rate limit
    std::string jti;          // the access token's id
    bool via_cookie = false;  // credentials came from a cookie (CSRF checks apply)
};

struct Request {
    std::string method;  // upper case, e.g. "GET"
    std::string target;  // as received: path and query
    std::string path;    // target without the query, not decoded
    std::string query;   // after '?', not decoded
    Headers headers;
    std::string body;  // empty on streamed_body routes: read body_reader instead
    // Set only on routes registered with RouteOptions::streamed_body. Shared with the connection
    // that fills it; using it after the handler returned is an error (read_some() throws).
    std::shared_ptr<BodyReader> body_reader;
    std::string peer_ip;     // the TCP peer
    std::string client_ip;   // the client: the peer, or X-Forwarded-For via a trusted proxy
    std::string request_id;  // accepted from X-Request-ID or generated
    std::string route;       // the matched route pattern ("" until routed)
    std::map<std::string, std::string> path_params;
    bool keep_alive = true;
    std::optional<AuthContext> auth;  // set by the authentication middleware

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
        return headers.get(name);
    }
    // The percent-decoded value of a query parameter ('+' means space), if present.
    [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
    // A path parameter declared by the route ("{id}"); throws std::out_of_range if undeclared.
    [[nodiscard]] const std::string& path_param(const std::string& name) const {
        return path_params.at(name);
    }
};

struct Response {
    int status = status::kOk;
    Headers headers;
    std::string body;
    // When set, `body` is ignored and the body is sent in chunks as `stream` produces them.
    std::unique_ptr<BodyStream> stream;

    void set(std::string_view name, std::string value) { headers.set(name, std::move(value)); }
};

}  // namespace molvault::http
