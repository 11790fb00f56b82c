#pragma once
// GET /health (liveness: no I/O, always 200 while the process serves), GET /health/ready
// (readiness: runs every check, 503 naming the failing ones), GET /metrics (Prometheus text).
// The checks and metrics must outlive the router; checks must be thread-safe and bounded in time.

#include <functional>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "ops/metrics.hpp"

namespace molvault::ops {

struct ReadinessCheck {
    std::string name;             // e.g. "database"
    std::function<bool()> check;  // true when ready; must not throw
};

void add_health_routes(
    http::Router& router, const std::vector<ReadinessCheck>& checks, const Metrics& metrics
);

}  // namespace molvault::ops
