#pragma once
// The HTTP/1.1 server: Boost.Asio I/O threads own the sockets; every request is handed to the
// WorkerPool and its response written back on the connection's strand, so no blocking call runs
// on an I/O thread. Keep-alive with an idle timeout; the request head and body each have a
// deadline (a slow client is cut off); header and body size limits answer 431 and 413; a full
// worker queue answers 503 with Retry-After. SIGTERM/SIGINT start a graceful drain: stop
// accepting, close idle connections, finish in-flight requests (with Connection: close) and
// streams, and return from run() when all are done or the grace period has passed.
//
// Streamed bodies (see body_stream.hpp, body_reader.hpp): a Response with a `stream` is sent
// chunked, one chunk produced on the worker pool per completed socket write. A route registered
// with RouteOptions::streamed_body is routed as soon as its head arrives; its handler runs at
// once and pulls the body through a bounded queue that this server fills, reading the socket
// only when the handler asks (so middleware that refuses the request costs no body, and
// "Expect: 100-continue" is answered then). A request whose body was not read to its end gets
// its answer with Connection: close; the server then drops what the client still sends for a
// moment before closing, so the client sees the answer rather than a reset.
//
// Thread-safety: construct and call listen()/run() from one thread; stop() may be called from
// any thread. The Router and WorkerPool must outlive the Server.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/worker_pool.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"

namespace molvault::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8000;  // 0: pick a free port (see listen())
    int io_threads = 2;
    std::size_t max_body_bytes = 1024 * 1024;  // unless the route sets its own (RouteOptions)
    std::size_t max_header_bytes = 8 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    // The whole body of a buffered request; for a streamed_body route, each read of it (the
    // longest pause allowed while the handler is waiting for more).
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds shutdown_grace{30'000};
    bool production = false;  // adds HSTS to server-made responses
    // Told about the responses the server makes itself (400, 413, 431, queue-full 503), which
    // never reach the router's access log. May be null.
    RequestObserver* observer = nullptr;
};

class Server {
public:
    Server(ServerOptions options, const Router& router, WorkerPool& workers);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Binds and listens; returns the bound port. Throws std::system_error on failure.
    std::uint16_t listen();
    // Serves until a signal or stop(), then drains. Blocks the calling thread.
    void run();
    // Starts the graceful drain, as SIGTERM does.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace molvault::http
