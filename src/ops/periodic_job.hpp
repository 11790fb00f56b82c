#pragma once
// Runs a task on its own thread now and then every `period` until destroyed (the daily token
// cleanup). A failing run is logged and the schedule goes on. Thread-safe: the destructor
// wakes the thread and joins it, waiting for a run in progress to finish.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace molvault::ops {

class PeriodicJob {
public:
    PeriodicJob(std::string name, std::chrono::milliseconds period, std::function<void()> task);
    PeriodicJob(const PeriodicJob&) = delete;
    PeriodicJob& operator=(const PeriodicJob&) = delete;
    ~PeriodicJob();

private:
    void run();

    const std::string name_;
    const std::chrono::milliseconds period_;
    const std::function<void()> task_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members it reads
};

}  // namespace molvault::ops
