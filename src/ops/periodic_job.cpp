#include "ops/periodic_job.hpp"

#include <exception>

#include "common/log.hpp"

namespace molvault::ops {

PeriodicJob::PeriodicJob(
    std::string name, std::chrono::milliseconds period, std::function<void()> task
)
    : name_(std::move(name)), period_(period), task_(std::move(task)), thread_([this] { run(); }) {}

PeriodicJob::~PeriodicJob() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void PeriodicJob::run() {
    while (true) {
        try {
            task_();
        } catch (const std::exception& error) {
            log::error("job_failed", {{"job", name_}, {"exception", error.what()}});
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, period_, [this] { return stopping_; })) {
            return;
        }
    }
}

}  // namespace molvault::ops
