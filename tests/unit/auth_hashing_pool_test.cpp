#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/hashing_pool.hpp"
#include "common/error.hpp"

namespace molvault::auth {
namespace {

TEST(HashingPool, ReturnsTheResultOfTheWork) {
    HashingPool pool(2, 4);
    EXPECT_EQ(pool.run([] { return 6 * 7; }), 42);
    EXPECT_EQ(pool.run([] { return std::string("hash"); }), "hash");
}

TEST(HashingPool, RunsTheWorkOnAnotherThread) {
    HashingPool pool(1, 4);
    const auto caller = std::this_thread::get_id();
    EXPECT_NE(pool.run([] { return std::this_thread::get_id(); }), caller);
}

TEST(HashingPool, RethrowsTheExceptionOfTheWork) {
    HashingPool pool(1, 4);
    EXPECT_THROW(
        pool.run([]() -> int { throw std::runtime_error("hashing failed"); }), std::runtime_error
    );
    EXPECT_EQ(pool.run([] { return 1; }), 1) << "the pool keeps working after a failure";
}

TEST(HashingPool, RefusesWorkWithRetryAfterWhenTheQueueIsFull) {
    // One thread and room for one queued task: at most two callers fit. Three callers block on
    // a gate that opens only once somebody has been refused, so at least one must be refused
    // whatever the scheduling, and the others must still get their results.
    HashingPool pool(1, 1);
    std::promise<void> gate;
    const std::shared_future<void> opened = gate.get_future().share();
    std::once_flag open_once;
    const auto open_gate = [&gate, &open_once] {
        std::call_once(open_once, [&gate] { gate.set_value(); });
    };

    constexpr int kCallers = 3;
    std::vector<std::optional<int>> results(kCallers);
    std::vector<std::optional<Error>> refusals(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
        callers.emplace_back([&pool, &results, &refusals, &opened, &open_gate, i] {
            try {
                results[static_cast<std::size_t>(i)] = pool.run([opened, i] {
                    opened.wait();
                    return i;
                });
            } catch (const Error& error) {
                refusals[static_cast<std::size_t>(i)] = error;
                open_gate();
            }
        });
    }
    // Never hang the suite: if nobody is refused within 10 s, open the gate and fail below.
    if (opened.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        open_gate();
    }
    for (auto& caller : callers) {
        caller.join();
    }

    int refused = 0;
    for (int i = 0; i < kCallers; ++i) {
        SCOPED_TRACE(i);
        const auto index = static_cast<std::size_t>(i);
        if (refusals[index]) {
            ++refused;
            EXPECT_EQ(refusals[index]->code(), ErrorCode::kUnavailable);
            EXPECT_EQ(refusals[index]->retry_after(), std::chrono::seconds(1));
            EXPECT_FALSE(results[index]);
        } else {
            EXPECT_EQ(results[index], i);
        }
    }
    EXPECT_GE(refused, 1);
}

}  // namespace
}  // namespace molvault::auth
