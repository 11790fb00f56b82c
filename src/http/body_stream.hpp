#pragma once
// BodyStream: a response body produced piece by piece, for answers too large to build as one
// string (an export of a million molecules). A handler sets Response::stream instead of
// Response::body; the server sends the head with Transfer-Encoding: chunked (to an HTTP/1.0
// client: no length, and the connection closes at the end) and then one chunk per next().
//
// How the server drives it:
// - next() runs on a worker thread, never an I/O thread, so it may run SQL. It is called again
//   only after the previous chunk has been written to the socket, so one chunk at a time is in
//   memory. Calls never overlap, but successive calls may come from different worker threads.
// - std::nullopt ends the body; the server then sends the chunked terminator. An empty string is
//   skipped. Aim for chunks of tens of KiB: each costs one worker task and one socket write.
// - An exception from next() is logged with the request id and the connection is aborted
//   without the terminator, so the client sees a failed transfer, never a truncated success.
// - The stream is destroyed on a worker thread once it ended, failed, or the client went away
//   (its destructor may release a database cursor or transaction). Only at shutdown may it be
//   destroyed elsewhere: on an I/O thread if the worker pool has already stopped, or by the
//   thread that destroys the Server if the drain deadline passed with the stream unfinished.
// - HEAD: the head is sent and next() is never called.
// The status and headers are final once the handler returns; the server never sends a
// Content-Length with a stream.

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace molvault::http {

class BodyStream {
public:
    virtual ~BodyStream() = default;
    // The next piece of the body, or std::nullopt at its end. See above for the calling rules.
    [[nodiscard]] virtual std::optional<std::string> next() = 0;
};

// A BodyStream from any callable `std::optional<std::string>()`; move-only callables (one that
// owns a database cursor) are fine.
template <class Producer>
[[nodiscard]] std::unique_ptr<BodyStream> make_body_stream(Producer producer) {
    class CallableStream final : public BodyStream {
    public:
        explicit CallableStream(Producer callable) : producer_(std::move(callable)) {}
        std::optional<std::string> next() override { return producer_(); }

    private:
        Producer producer_;
    };
    return std::make_unique<CallableStream>(std::move(producer));
}

}  // namespace molvault::http
