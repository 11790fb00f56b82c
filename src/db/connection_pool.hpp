#pragma once
// A bounded pool of backend connections, private to db/ (Database hands out PooledConnection).
// Keeps up to `size` connections open; under load opens up to `max_overflow` more, which are
// closed when returned while the pool is above `size`. acquire() waits up to `timeout` for a
// free slot and then throws PoolTimeout. Before lending, a connection is checked locally (a
// socket the server closed is noticed without a round trip); one idle for more than a second
// is pinged when `pre_ping` is set; one older than `recycle` is closed. Broken connections are
// discarded and replaced, so the pool recovers by itself after a server restart.
//
// Thread-safe: one mutex and condition variable; connections are opened, pinged and closed
// outside the mutex. The pool must outlive every connection it lent (destroying it while one
// is lent terminates the process rather than let the connection return into freed memory).
// Errors: acquire() throws PoolTimeout, or the DatabaseError of a failed connection attempt.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "db/connection.hpp"
#include "db/database.hpp"

namespace molvault::db {

class ConnectionPool {
public:
    // Opens one connection; throws DatabaseError. Called without the pool mutex held.
    using Factory = std::function<std::unique_ptr<Connection>()>;

    ConnectionPool(PoolOptions options, std::chrono::milliseconds slow_query, Factory factory);
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
    ~ConnectionPool();

    [[nodiscard]] std::unique_ptr<Connection> acquire();
    // Takes back a lent connection; `broken` (or a failed local check) closes it instead.
    void release(std::unique_ptr<Connection> connection, bool broken) noexcept;

    [[nodiscard]] PoolStats stats() const;
    [[nodiscard]] std::chrono::milliseconds slow_query() const { return slow_query_; }

private:
    using Clock = Connection::Clock;
    struct Idle {
        std::unique_ptr<Connection> connection;
        Clock::time_point since;
    };

    [[nodiscard]] bool expired(const Connection& connection, Clock::time_point now) const;
    // Local check, then a ping if it sat idle too long. Runs without the mutex.
    [[nodiscard]] bool healthy(Connection& connection, Clock::duration idle_for) const noexcept;
    [[nodiscard]] int open_count() const;  // idle + in use + being opened; mutex held
    std::unique_ptr<Connection> open_new();

    const PoolOptions options_;
    const std::chrono::milliseconds slow_query_;
    const Factory factory_;

    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::deque<Idle> idle_;  // most recently returned at the back
    int in_use_ = 0;
    int opening_ = 0;
    int waiting_ = 0;
    std::int64_t overflow_total_ = 0;
    std::int64_t timeouts_total_ = 0;
    std::int64_t created_total_ = 0;
    std::int64_t discarded_total_ = 0;
};

}  // namespace molvault::db
