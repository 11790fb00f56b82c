#include "ops/health_routes.hpp"

#include "http/json.hpp"

namespace molvault::ops {

void add_health_routes(
    http::Router& router, const std::vector<ReadinessCheck>& checks, const Metrics& metrics
) {
    router.get("/health", [](const http::Request&) {
        return http::json_response(http::status::kOk, {{"status", "ok"}});
    });

    router.get("/health/ready", [&checks](const http::Request&) {
        bool ready = true;
        nlohmann::json results = nlohmann::json::object();
        for (const auto& check : checks) {
            const bool ok = check.check();
            results[check.name] = ok ? "ok" : "unavailable";
            ready = ready && ok;
        }
        auto response = http::json_response(
            ready ? http::status::kOk : http::status::kServiceUnavailable,
            {{"status", ready ? "ready" : "not_ready"}, {"checks", results}}
        );
        if (!ready) {
            response.set("Retry-After", "5");
        }
        return response;
    });

    router.get("/metrics", [&metrics](const http::Request&) {
        http::Response response;
        response.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        response.body = metrics.render();
        return response;
    });
}

}  // namespace molvault::ops
