#include "ops/metrics.hpp"

#include <array>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

namespace molvault::ops {
namespace {

constexpr std::array kBucketsSeconds = {
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
};

std::int64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::int64_t total_pages = 0;
    std::int64_t resident_pages = 0;
    statm >> total_pages >> resident_pages;
    return resident_pages * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

std::string escape_label(const std::string& value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

Metrics::Metrics() : started_(std::chrono::steady_clock::now()) {}

void Metrics::request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::request_finished(
    const std::string& method,
    const std::string& route,
    int status,
    std::chrono::nanoseconds duration
) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(duration).count();
    const std::lock_guard lock(mutex_);
    auto& series = requests_[{method, route.empty() ? "unmatched" : route, status}];
    if (series.buckets.empty()) {
        series.buckets.assign(kBucketsSeconds.size(), 0);
    }
    ++series.count;
    series.sum_seconds += seconds;
    for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
        if (seconds <= kBucketsSeconds[i]) {
            ++series.buckets[i];
            break;
        }
    }
}

void Metrics::increment(const std::string& name, std::int64_t delta) {
    const std::lock_guard lock(mutex_);
    counters_[name] += delta;
}

void Metrics::set_pool_source(std::function<db::PoolStats()> source) {
    const std::lock_guard lock(mutex_);
    pool_source_ = std::move(source);
}

void Metrics::add_gauge_source(GaugeSource source) {
    const std::lock_guard lock(mutex_);
    gauge_sources_.push_back(std::move(source));
}

std::string Metrics::render() const {
    std::string out;
    out += "# HELP molvault_http_requests_total HTTP requests served.\n";
    out += "# TYPE molvault_http_requests_total counter\n";
    std::function<db::PoolStats()> pool_source;
    std::vector<GaugeSource> gauge_sources;
    {
        const std::lock_guard lock(mutex_);
        pool_source = pool_source_;
        gauge_sources = gauge_sources_;
        for (const auto& [key, series] : requests_) {
            const auto& [method, route, status] = key;
            out += fmt::format(
                "molvault_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                method,
                escape_label(route),
                status,
                series.count
            );
        }
        out += "# HELP molvault_http_request_duration_seconds Time to answer a request.\n";
        out += "# TYPE molvault_http_request_duration_seconds histogram\n";
        for (const auto& [key, series] : requests_) {
            const auto& [method, route, status] = key;
            const auto labels = fmt::format(
                "method=\"{}\",route=\"{}\",status=\"{}\"", method, escape_label(route), status
            );
            std::int64_t cumulative = 0;
            for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
                cumulative += series.buckets[i];
                out += fmt::format(
                    "molvault_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n",
                    labels,
                    kBucketsSeconds[i],
                    cumulative
                );
            }
            out += fmt::format(
                "molvault_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n",
                labels,
                series.count
            );
            out += fmt::format(
                "molvault_http_request_duration_seconds_sum{{{}}} {}\n", labels, series.sum_seconds
            );
            out += fmt::format(
                "molvault_http_request_duration_seconds_count{{{}}} {}\n", labels, series.count
            );
        }
        for (const auto& [name, value] : counters_) {
            out += fmt::format("# TYPE molvault_{}_total counter\n", name);
            out += fmt::format("molvault_{}_total {}\n", name, value);
        }
    }
    out += "# HELP molvault_http_requests_in_flight Requests being served now.\n";
    out += "# TYPE molvault_http_requests_in_flight gauge\n";
    out += fmt::format("molvault_http_requests_in_flight {}\n", in_flight_.load());
    if (pool_source) {
        const auto stats = pool_source();
        const std::array<std::pair<const char*, std::int64_t>, 5> gauges = {{
            {"size", stats.size},
            {"in_use", stats.in_use},
            {"idle", stats.idle},
            {"waiting", stats.waiting},
            {"max", stats.max},
        }};
        for (const auto& [name, value] : gauges) {
            out += fmt::format("# TYPE molvault_db_pool_{} gauge\n", name);
            out += fmt::format("molvault_db_pool_{} {}\n", name, value);
        }
        const std::array<std::pair<const char*, std::int64_t>, 4> counters = {{
            {"overflow", stats.overflow_total},
            {"timeouts", stats.timeouts_total},
            {"created", stats.created_total},
            {"discarded", stats.discarded_total},
        }};
        for (const auto& [name, value] : counters) {
            out += fmt::format("# TYPE molvault_db_pool_{}_total counter\n", name);
            out += fmt::format("molvault_db_pool_{}_total {}\n", name, value);
        }
    }
    for (const auto& source : gauge_sources) {
        for (const auto& [name, value] : source()) {
            out += fmt::format("# TYPE molvault_{} gauge\n", name);
            out += fmt::format("molvault_{} {}\n", name, value);
        }
    }
    out += "# TYPE process_resident_memory_bytes gauge\n";
    out += fmt::format("process_resident_memory_bytes {}\n", resident_bytes());
    out += "# TYPE molvault_uptime_seconds gauge\n";
    out += fmt::format(
        "molvault_uptime_seconds {:.3f}\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()
    );
    return out;
}

}  // namespace molvault::ops
