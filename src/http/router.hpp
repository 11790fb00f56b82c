#pragma once
// Router: maps (method, path pattern) to a handler and runs the middleware chain around it.
// Patterns are literal segments and "{name}" parameters ("/api/v1/projects/{project_id}");
// a literal segment wins over a parameter. Unknown path → 404; known path, other method → 405
// with Allow. HEAD is served by the GET handler.
//
// Thread-safety: build the route table and middleware at start-up; afterwards handle() is const
// and may be called from any number of threads.

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace molvault::http {

using Handler = std::function<Response(Request&)>;
// A middleware either answers the request itself or calls next and adjusts the response.
using Middleware = std::function<Response(Request&, const Handler& next)>;

// How the server receives a route's request body. The server reads them after the request head
// and before the body (Router::options_for), so they can change how the body is read.
struct RouteOptions {
    // Largest body accepted, in bytes; unset: ServerOptions::max_body_bytes. A Content-Length
    // above it is answered 413 before the handler runs; a chunked body that grows past it fails
    // (buffered routes: 413; streamed routes: read_some() throws BodyReadError kTooLarge).
    std::optional<std::size_t> max_body_bytes{};
    // The body is not buffered: Request::body is empty and the handler pulls the body from
    // Request::body_reader as it arrives. Middleware runs before any of the body is read, so a
    // request refused by authentication, CSRF or rate limits costs no body bytes; the server
    // then closes the connection after the answer (the unread body cannot be skipped cheaply).
    bool streamed_body = false;
};

class Router {
public:
    void add(
        std::string_view method,
        std::string_view pattern,
        Handler handler,
        RouteOptions options = {}
    );
    void get(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        add("GET", pattern, std::move(handler), std::move(options));
    }
    void post(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        add("POST", pattern, std::move(handler), std::move(options));
    }
    void put(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        add("PUT", pattern, std::move(handler), std::move(options));
    }
    void patch(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        add("PATCH", pattern, std::move(handler), std::move(options));
    }
    void del(std::string_view pattern, Handler handler, RouteOptions options = {}) {
        add("DELETE", pattern, std::move(handler), std::move(options));
    }
    // Middleware run in the order added: the first one added is the outermost.
    void use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

    // Runs the middleware chain and the matching handler. Exceptions from handlers propagate
    // unless a middleware (the catch-all) turns them into responses.
    [[nodiscard]] Response handle(Request& request) const;

    // The options of the route that handle() would run for this method and (undecoded) path;
    // default options when no route matches. Cheap; runs no middleware or handler.
    [[nodiscard]] RouteOptions options_for(std::string_view method, std::string_view path) const;

    struct RouteInfo {
        std::string method;
        std::string pattern;
    };
    [[nodiscard]] std::vector<RouteInfo> routes() const;

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
        RouteOptions options;
    };
    // The best route for method (HEAD as GET) and path, or null; fills `allowed` with the
    // methods of every route whose pattern matches the path, when given.
    [[nodiscard]] const Route* find(
        std::string_view method, std::string_view path, std::set<std::string>* allowed
    ) const;
    [[nodiscard]] Response dispatch(Request& request) const;
    [[nodiscard]] Response run(Request& request, std::size_t index) const;

    std::vector<Route> routes_;
    std::vector<Middleware> middleware_;
};

}  // namespace molvault::http
