#pragma once
// BodyChannel: the bounded queue behind a BodyReader. The server's connection (on its strand)
// is the producer: it reads the socket only while wants_more() and push()es each piece; the
// handler (on a worker thread) is the consumer, through read_some(). Beast-free, so it can be
// tested without sockets.
//
// Flow control: the producer reads while fewer than `queue_limit` bytes are queued, so at most
// queue_limit + one piece is held. `on_demand` asks the producer to (re)start reading; it is
// called on the consumer's thread, without the lock held, at the first read_some() and whenever
// the consumer takes a piece from a full queue. The server's on_demand posts to the strand and
// must not block.
//
// Thread-safety: every member may be called from any thread; read_some() by one thread at a time.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "http/body_reader.hpp"

namespace molvault::http {

class BodyChannel final : public BodyReader {
public:
    // `wait_limit`: read_some() gives up with kTimedOut after waiting this long for the
    // producer without any progress (a safety net: the server's own body deadline is shorter).
    BodyChannel(
        std::size_t queue_limit,
        std::chrono::milliseconds wait_limit,
        std::function<void()> on_demand
    );

    // Consumer side (BodyReader).
    [[nodiscard]] std::optional<std::string> read_some() override;
    [[nodiscard]] std::uint64_t bytes_read() const override;
    [[nodiscard]] std::size_t peak_buffered_bytes() const override;

    // Producer side.
    // True when the consumer has started, the queue has room, and the body is neither complete,
    // failed nor abandoned: read another piece from the socket.
    [[nodiscard]] bool wants_more() const;
    void push(std::string piece);             // an empty piece is ignored
    void finish();                            // the whole body has been pushed
    void fail(BodyReadError::Reason reason);  // the first failure wins; wakes the consumer
    // The consumer is done (the handler returned): wants_more() is false from now on.
    void close();

    [[nodiscard]] bool started() const;
    [[nodiscard]] bool finished() const;
    [[nodiscard]] std::optional<BodyReadError::Reason> failure() const;

private:
    const std::size_t queue_limit_;
    const std::chrono::milliseconds wait_limit_;
    const std::function<void()> on_demand_;

    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t peak_queued_bytes_ = 0;
    std::uint64_t bytes_read_ = 0;
    bool started_ = false;
    bool finished_ = false;
    bool closed_ = false;
    std::optional<BodyReadError::Reason> failure_;
};

}  // namespace molvault::http
