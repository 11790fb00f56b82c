#include "http/router.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "common/percent_decode.hpp"
#include "http/problem.hpp"

namespace molvault::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segments;
    if (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    while (true) {
        const auto slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        path.remove_prefix(slash + 1);
    }
    return segments;
}

bool is_parameter(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Number of literal segments matched, or -1 when the pattern does not match.
int match(
    const std::vector<std::string>& pattern,
    const std::vector<std::string_view>& path,
    std::map<std::string, std::string>* params
) {
    if (pattern.size() != path.size()) {
        return -1;
    }
    int literals = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_parameter(pattern[i])) {
            if (path[i].empty()) {
                return -1;
            }
            if (params != nullptr) {
                const auto decoded = percent_decode(path[i]);
                (*params)[pattern[i].substr(1, pattern[i].size() - 2)] =
                    decoded.value_or(std::string(path[i]));
            }
        } else if (pattern[i] == path[i]) {
            ++literals;
        } else {
            return -1;
        }
    }
    return literals;
}

}  // namespace

void Router::add(
    std::string_view method, std::string_view pattern, Handler handler, RouteOptions options
) {
    Route route{std::string(method), std::string(pattern), {}, std::move(handler), options};
    for (const auto segment : split_path(pattern)) {
        route.segments.emplace_back(segment);
    }
    const auto same_shape = [](const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
            return x == y || (is_parameter(x) && is_parameter(y));
        });
    };
    for (const auto& existing : routes_) {
        if (existing.method == route.method && same_shape(existing.segments, route.segments)) {
            throw std::logic_error("duplicate route " + route.method + " " + route.pattern);
        }
    }
    routes_.push_back(std::move(route));
}

std::vector<Router::RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& route : routes_) {
        out.push_back({route.method, route.pattern});
    }
    return out;
}

Response Router::handle(Request& request) const { return run(request, 0); }

Response Router::run(Request& request, std::size_t index) const {
    if (index == middleware_.size()) {
        return dispatch(request);
    }
    const Handler next = [this, index](Request& req) { return run(req, index + 1); };
    return middleware_[index](request, next);
}

const Router::Route* Router::find(
    std::string_view method, std::string_view path, std::set<std::string>* allowed
) const {
    const auto segments = split_path(path);
    if (method == "HEAD") {
        method = "GET";
    }
    const Route* best = nullptr;
    int best_score = -1;
    for (const auto& route : routes_) {
        const int score = match(route.segments, segments, nullptr);
        if (score < 0) {
            continue;
        }
        if (route.method == method && score > best_score) {
            best = &route;
            best_score = score;
        }
        if (allowed != nullptr) {
            allowed->insert(route.method);
        }
    }
    return best;
}

RouteOptions Router::options_for(std::string_view method, std::string_view path) const {
    const Route* route = find(method, path, nullptr);
    return route == nullptr ? RouteOptions{} : route->options;
}

Response Router::dispatch(Request& request) const {
    std::set<std::string> allowed;
    const Route* best = find(request.method, request.path, &allowed);
    if (best == nullptr) {
        request.route = "unmatched";
        if (allowed.empty()) {
            return problem_response(status::kNotFound, "No such resource", request.request_id);
        }
        if (allowed.contains("GET")) {
            allowed.insert("HEAD");
        }
        std::string allow;
        for (const auto& m : allowed) {
            allow += allow.empty() ? m : ", " + m;
        }
        auto response = problem_response(
            status::kMethodNotAllowed,
            "This resource does not support " + request.method,
            request.request_id
        );
        response.set("Allow", allow);
        return response;
    }
    request.route = best->pattern;
    request.path_params.clear();
    match(best->segments, split_path(request.path), &request.path_params);
    return best->handler(request);
}

}  // namespace molvault::http
