#pragma once
// Prometheus metrics: request counts and latency histograms by method, route and status,
// requests in flight, connection-pool gauges, process memory and uptime, and named counters
// other modules bump (e.g. rate-limiter fallbacks). Thread-safe: one instance, shared.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "db/database.hpp"
#include "http/middleware.hpp"

namespace molvault::ops {

class Metrics final : public http::RequestObserver {
public:
    Metrics();

    void request_started() override;
    void request_finished(
        const std::string& method,
        const std::string& route,
        int status,
        std::chrono::nanoseconds duration
    ) override;

    // Adds `delta` to the counter molvault_<name>_total (created on first use).
    void increment(const std::string& name, std::int64_t delta = 1);
    // Pool gauges are read from this source at scrape time.
    void set_pool_source(std::function<db::PoolStats()> source);
    // Gauges molvault_<name> another module reports, read from `source` at scrape time.
    using GaugeSource = std::function<std::vector<std::pair<std::string, double>>()>;
    void add_gauge_source(GaugeSource source);

    // The exposition in Prometheus text format 0.0.4.
    [[nodiscard]] std::string render() const;

private:
    struct Series {
        std::int64_t count = 0;
        double sum_seconds = 0;
        std::vector<std::int64_t> buckets;  // cumulative at render time, per-bucket here
    };

    const std::chrono::steady_clock::time_point started_;
    std::atomic<std::int64_t> in_flight_{0};
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, Series> requests_;
    std::map<std::string, std::int64_t> counters_;
    std::function<db::PoolStats()> pool_source_;
    std::vector<GaugeSource> gauge_sources_;
};

}  // namespace molvault::ops
