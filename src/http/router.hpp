#pragma once
// Router: maps (method, path pattern) to a handler and runs the middleware chain around it.
// Patterns are literal segments and "{name}" parameters ("/api/v1/projects/{project_id}");
// a literal segment wins over a parameter. Unknown path → 404; known path, other method → 405
// with Allow. HEAD is served by the GET handler.
//
// Thread-safety: build the route table and middleware at start-up; afterwards handle() is const
// and may be called from any number of threads.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace molvault::http {

using Handler = std::function<Response(Request&)>;
// A middleware either answers the request itself or calls next and adjusts the response.
using Middleware = std::function<Response(Request&, const Handler& next)>;

class Router {
public:
    void add(std::string_view method, std::string_view pattern, Handler handler);
    void get(std::string_view pattern, Handler handler) { add("GET", pattern, std::move(handler)); }
    void post(std::string_view pattern, Handler handler) {
        add("POST", pattern, std::move(handler));
    }
    void put(std::string_view pattern, Handler handler) { add("PUT", pattern, std::move(handler)); }
    void patch(std::string_view pattern, Handler handler) {
        add("PATCH", pattern, std::move(handler));
    }
    void del(std::string_view pattern, Handler handler) {
        add("DELETE", pattern, std::move(handler));
    }
    // Middleware run in the order added: the first one added is the outermost.
    void use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

    // Runs the middleware chain and the matching handler. Exceptions from handlers propagate
    // unless a middleware (the catch-all) turns them into responses.
    [[nodiscard]] Response handle(Request& request) const;

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
    };
    [[nodiscard]] Response dispatch(Request& request) const;
    [[nodiscard]] Response run(Request& request, std::size_t index) const;

    std::vector<Route> routes_;
    std::vector<Middleware> middleware_;
};

}  // namespace molvault::http
