#include "db/connection_pool.hpp"

#include <exception>

#include "common/log.hpp"

namespace molvault::db {
namespace {

// A connection idle for longer than this is pinged before it is lent (when pre_ping is on).
constexpr auto kPrePingAfter = std::chrono::seconds(1);

}  // namespace

ConnectionPool::ConnectionPool(
    PoolOptions options, std::chrono::milliseconds slow_query, Factory factory
)
    : options_(options), slow_query_(slow_query), factory_(std::move(factory)) {}

ConnectionPool::~ConnectionPool() {
    const std::lock_guard lock(mutex_);
    if (in_use_ != 0 || opening_ != 0) {
        // A PooledConnection outlives its Database: it will return into freed memory.
        log::error("connection_pool_destroyed_while_in_use", {{"in_use", in_use_}});
        std::terminate();
    }
}

bool ConnectionPool::expired(const Connection& connection, Clock::time_point now) const {
    return now - connection.created_at() > options_.recycle;
}

bool ConnectionPool::healthy(Connection& connection, Clock::duration idle_for) const noexcept {
    if (!connection.is_usable()) {
        return false;
    }
    if (options_.pre_ping && idle_for > kPrePingAfter) {
        return connection.ping();
    }
    return true;
}

int ConnectionPool::open_count() const {
    return static_cast<int>(idle_.size()) + in_use_ + opening_;
}

std::unique_ptr<Connection> ConnectionPool::acquire() {
    const auto deadline = Clock::now() + options_.timeout;
    std::unique_lock lock(mutex_);
    while (true) {
        while (!idle_.empty()) {
            Idle candidate = std::move(idle_.back());
            idle_.pop_back();
            ++in_use_;
            lock.unlock();
            const auto now = Clock::now();
            if (!expired(*candidate.connection, now) &&
                healthy(*candidate.connection, now - candidate.since)) {
                return std::move(candidate.connection);
            }
            candidate.connection.reset();  // close it outside the mutex
            lock.lock();
            --in_use_;
            ++discarded_total_;
        }
        if (open_count() < options_.size + options_.max_overflow) {
            ++opening_;
            lock.unlock();
            return open_new();
        }
        ++waiting_;
        const bool woken = available_.wait_until(lock, deadline, [this] {
            return !idle_.empty() || open_count() < options_.size + options_.max_overflow;
        });
        --waiting_;
        if (!woken) {
            ++timeouts_total_;
            throw PoolTimeout();
        }
    }
}

std::unique_ptr<Connection> ConnectionPool::open_new() {
    std::unique_ptr<Connection> connection;
    try {
        connection = factory_();
    } catch (...) {
        const std::lock_guard lock(mutex_);
        --opening_;
        available_.notify_one();  // the slot is free again
        throw;
    }
    const std::lock_guard lock(mutex_);
    --opening_;
    ++in_use_;
    ++created_total_;
    if (static_cast<int>(idle_.size()) + in_use_ + opening_ > options_.size) {
        ++overflow_total_;
    }
    return connection;
}

void ConnectionPool::release(std::unique_ptr<Connection> connection, bool broken) noexcept {
    if (!connection) {
        return;
    }
    // Local checks only: a connection in a transaction (a caller issued BEGIN by hand) or with
    // a dead socket must not be lent again.
    const bool reusable = !broken && connection->is_usable() && !connection->in_transaction() &&
                          !expired(*connection, Clock::now());
    std::unique_ptr<Connection> to_close;
    {
        const std::lock_guard lock(mutex_);
        --in_use_;
        if (reusable && open_count() < options_.size) {
            idle_.push_back(Idle{std::move(connection), Clock::now()});
        } else {
            to_close = std::move(connection);
            ++discarded_total_;
        }
        available_.notify_one();
    }
}

PoolStats ConnectionPool::stats() const {
    const std::lock_guard lock(mutex_);
    PoolStats stats;
    stats.idle = static_cast<int>(idle_.size());
    stats.in_use = in_use_;
    stats.size = stats.idle + stats.in_use;
    stats.waiting = waiting_;
    stats.max = options_.size + options_.max_overflow;
    stats.overflow_total = overflow_total_;
    stats.timeouts_total = timeouts_total_;
    stats.created_total = created_total_;
    stats.discarded_total = discarded_total_;
    return stats;
}

}  // namespace molvault::db
