#include "http/body_channel.hpp"

#include <algorithm>

namespace molvault::http {

BodyChannel::BodyChannel(
    std::size_t queue_limit, std::chrono::milliseconds wait_limit, std::function<void()> on_demand
)
    : queue_limit_(queue_limit), wait_limit_(wait_limit), on_demand_(std::move(on_demand)) {}

std::optional<std::string> BodyChannel::read_some() {
    std::unique_lock lock(mutex_);
    if (!started_) {
        started_ = true;
        lock.unlock();
        on_demand_();
        lock.lock();
    }
    const auto ready = [this] {
        return !queue_.empty() || finished_ || failure_.has_value() || closed_;
    };
    if (!arrived_.wait_for(lock, wait_limit_, ready)) {
        failure_ = BodyReadError::Reason::kTimedOut;
    }
    if (!queue_.empty()) {
        const bool was_full = queued_bytes_ >= queue_limit_;
        auto piece = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= piece.size();
        bytes_read_ += piece.size();
        lock.unlock();
        if (was_full) {
            on_demand_();
        }
        return piece;
    }
    if (failure_) {
        throw BodyReadError(*failure_);
    }
    if (!finished_) {
        throw BodyReadError(BodyReadError::Reason::kDisconnected);  // closed before the end
    }
    return std::nullopt;
}

std::uint64_t BodyChannel::bytes_read() const {
    const std::lock_guard lock(mutex_);
    return bytes_read_;
}

std::size_t BodyChannel::peak_buffered_bytes() const {
    const std::lock_guard lock(mutex_);
    return peak_queued_bytes_;
}

bool BodyChannel::wants_more() const {
    const std::lock_guard lock(mutex_);
    return started_ && !finished_ && !closed_ && !failure_ && queued_bytes_ < queue_limit_;
}

void BodyChannel::push(std::string piece) {
    if (piece.empty()) {
        return;
    }
    {
        const std::lock_guard lock(mutex_);
        if (closed_ || failure_) {
            return;
        }
        queued_bytes_ += piece.size();
        peak_queued_bytes_ = std::max(peak_queued_bytes_, queued_bytes_);
        queue_.push_back(std::move(piece));
    }
    arrived_.notify_one();
}

void BodyChannel::finish() {
    {
        const std::lock_guard lock(mutex_);
        finished_ = true;
    }
    arrived_.notify_one();
}

void BodyChannel::fail(BodyReadError::Reason reason) {
    {
        const std::lock_guard lock(mutex_);
        if (!failure_ && !finished_) {
            failure_ = reason;
        }
    }
    arrived_.notify_one();
}

void BodyChannel::close() {
    {
        const std::lock_guard lock(mutex_);
        closed_ = true;
    }
    arrived_.notify_one();
}

bool BodyChannel::started() const {
    const std::lock_guard lock(mutex_);
    return started_;
}

bool BodyChannel::finished() const {
    const std::lock_guard lock(mutex_);
    return finished_;
}

std::optional<BodyReadError::Reason> BodyChannel::failure() const {
    const std::lock_guard lock(mutex_);
    return failure_;
}

}  // namespace molvault::http
