#pragma once
// The bounded pool password hashing runs on (one thread per core by default), separate from
// the request workers so a login flood cannot starve other routes. When its queue is full,
// run() refuses at once with a 503 (molvault::Error kUnavailable with Retry-After) instead of
// queueing without bound. Thread-safe.

#include <functional>
#include <future>
#include <type_traits>

#include "common/error.hpp"
#include "common/worker_pool.hpp"

namespace molvault::auth {

class HashingPool {
public:
    HashingPool(int threads, std::size_t queue_limit) : workers_(threads, queue_limit) {}

    // Runs `work` on a hashing thread and blocks until it finishes; rethrows its exception.
    // Throws Error(kUnavailable) without running it when the queue is full.
    template <class Work>
    auto run(Work work) -> std::invoke_result_t<Work> {
        using Result = std::invoke_result_t<Work>;
        auto task = std::make_shared<std::packaged_task<Result()>>(std::move(work));
        auto future = task->get_future();
        if (!workers_.try_submit([task] { (*task)(); })) {
            throw Error(ErrorCode::kUnavailable, "Too many sign-ins at once; try again shortly")
                .with_retry_after(std::chrono::seconds(1));
        }
        return future.get();
    }

private:
    WorkerPool workers_;
};

}  // namespace molvault::auth
