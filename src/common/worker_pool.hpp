#pragma once
// A fixed set of threads running submitted tasks, with a bounded queue: try_submit refuses work
// when the queue is full instead of letting it grow, so overload becomes a fast 503.
// Thread-safe. stop() (also run by the destructor) finishes queued tasks, then joins.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace molvault {

class WorkerPool {
public:
    WorkerPool(int threads, std::size_t queue_limit);
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    ~WorkerPool();

    // False when the queue is full or the pool is stopping; the task was not taken.
    [[nodiscard]] bool try_submit(std::function<void()> task);
    // Queues `task` even when the queue is full; false only when the pool is stopping. For the
    // next step of work already admitted through try_submit (the next chunk of a streamed
    // response), which must not be refused halfway; there is at most one such step per open
    // connection, so the queue still cannot grow without bound.
    [[nodiscard]] bool submit_continuation(std::function<void()> task);
    void stop();

    [[nodiscard]] std::size_t queued() const;
    [[nodiscard]] std::size_t busy() const;

private:
    void run();

    const std::size_t queue_limit_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    std::size_t busy_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace molvault
