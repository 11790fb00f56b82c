#pragma once
// BodyReader: the pull side of a streamed request body, handed to handlers of routes registered
// with RouteOptions::streamed_body (Request::body_reader). The server receives the body on its
// I/O thread while the handler consumes it on its worker thread; between them sits a small
// bounded queue, and the socket is not read while the queue is full, so an upload of any size
// holds at most a few pieces of it in memory.
//
// Nothing is read from the socket until the handler first calls read_some(), so middleware that
// answers first (401, 403, 429) never makes the server receive the body. A client that sent
// "Expect: 100-continue" is told to go on at that moment.
//
// Thread-safety: read_some() is called by one thread at a time (the handler's worker thread).
// The statistics may be read from any thread.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <streambuf>
#include <string>

#include "common/error.hpp"

namespace molvault::http {

// Why a streamed body could not be read to its end. Thrown by BodyReader::read_some; a
// molvault::Error, so a handler that lets it escape answers 413 (too large) or 400 (the others)
// through the catch-all middleware. After kTimedOut and kDisconnected the server closes the
// connection without answering, since the client is gone or stalled.
class BodyReadError : public Error {
public:
    enum class Reason {
        kTooLarge,      // more than the route's max_body_bytes (a chunked body; a too-long
                        // Content-Length is refused with 413 before the handler runs)
        kMalformed,     // the chunked encoding is broken
        kTimedOut,      // no progress within HTTP_BODY_TIMEOUT_MS
        kDisconnected,  // the client went away, or the server is stopping
    };

    explicit BodyReadError(Reason reason);
    [[nodiscard]] Reason reason() const { return reason_; }

private:
    Reason reason_;
};

[[nodiscard]] const char* reason_name(BodyReadError::Reason reason);

class BodyReader {
public:
    virtual ~BodyReader() = default;

    // Blocks until more of the body has arrived. Returns the next piece (never empty; at most
    // 64 KiB) or std::nullopt once the whole body has been read. Throws BodyReadError when the
    // body cannot be completed; every later call throws it too.
    [[nodiscard]] virtual std::optional<std::string> read_some() = 0;

    // Bytes handed out by read_some() so far.
    [[nodiscard]] virtual std::uint64_t bytes_read() const = 0;
    // The most bytes of this body the server held queued at one time: a bound on the memory an
    // upload costs beyond the piece the handler holds (for logs and tests).
    [[nodiscard]] virtual std::size_t peak_buffered_bytes() const = 0;
};

// A std::istream over a BodyReader, for readers that take std::istream& (SDF, CSV). A
// BodyReadError thrown while reading propagates out of the stream operation (badbit is in
// exceptions()), so a failed upload is never mistaken for a short one.
// Not copyable or movable; `reader` must outlive the stream.
class BodyInputStream : public std::istream {
public:
    explicit BodyInputStream(BodyReader& reader);
    BodyInputStream(const BodyInputStream&) = delete;
    BodyInputStream& operator=(const BodyInputStream&) = delete;

private:
    class Buffer : public std::streambuf {
    public:
        explicit Buffer(BodyReader& reader) : reader_(reader) {}

    protected:
        int_type underflow() override;

    private:
        BodyReader& reader_;
        std::string piece_;
    };

    Buffer buffer_;
};

}  // namespace molvault::http
