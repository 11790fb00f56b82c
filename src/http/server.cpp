#include "http/server.hpp"

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.hpp"
#include "http/middleware.hpp"
#include "http/problem.hpp"

namespace molvault::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t kFirstReadBytes = 4096;
constexpr std::chrono::milliseconds kDrainPollInterval{25};
constexpr std::chrono::milliseconds kWriteTimeout{30'000};
constexpr int kRetryAfterSeconds = 1;

// State shared by the listener and every session. Thread-safe through atomics and its mutex.
struct Shared {
    Shared(ServerOptions server_options, const Router& server_router, WorkerPool& worker_pool)
        : options(std::move(server_options)), router(server_router), workers(worker_pool) {}

    ServerOptions options;
    const Router& router;
    WorkerPool& workers;
    std::atomic<bool> draining{false};
    std::atomic<int> live_sessions{0};
    std::mutex sessions_mutex;
    std::list<std::weak_ptr<class Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            peer_ip_ = endpoint.address().to_string();
        }
        ++shared_.live_sessions;
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session() { --shared_.live_sessions; }

    void start() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->wait_for_request();
        });
    }

    // Called on the strand when the server starts draining: an idle connection is closed now;
    // one that is reading or being served finishes its request first.
    void drain() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if (self->idle_) {
                beast::error_code ignored;
                self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                self->stream_.close();
            }
        });
    }

private:
    void wait_for_request() {
        if (shared_.draining) {
            close();
            return;
        }
        if (buffer_.size() > 0) {
            read_header();
            return;
        }
        idle_ = true;
        stream_.expires_after(
            first_ ? shared_.options.header_timeout : shared_.options.idle_timeout
        );
        stream_.async_read_some(
            buffer_.prepare(kFirstReadBytes),
            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                self->idle_ = false;
                if (ec) {
                    self->close();
                    return;
                }
                self->buffer_.commit(bytes);
                self->read_header();
            }
        );
    }

    void read_header() {
        idle_ = false;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
        parser_->body_limit(shared_.options.max_body_bytes);
        stream_.expires_after(shared_.options.header_timeout);
        beast::http::async_read_header(
            stream_,
            buffer_,
            *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); }
        );
    }

    void on_header(beast::error_code ec) {
        if (ec) {
            on_read_error(ec);
            return;
        }
        if (parser_->is_done()) {
            serve();
            return;
        }
        stream_.expires_after(shared_.options.body_timeout);
        beast::http::async_read(
            stream_,
            buffer_,
            *parser_,
            [self = shared_from_this()](beast::error_code read_ec, std::size_t) {
                if (read_ec) {
                    self->on_read_error(read_ec);
                    return;
                }
                self->serve();
            }
        );
    }

    void on_read_error(beast::error_code ec) {
        if (ec == beast::http::error::header_limit) {
            reply_error(status::kHeadersTooLarge, "The request headers are too large");
        } else if (ec == beast::http::error::body_limit) {
            reply_error(status::kPayloadTooLarge, "The request body is too large");
        } else if (ec.category() == beast::http::make_error_code(beast::http::error::bad_target).category() && ec != beast::http::error::end_of_stream && ec != beast::http::error::partial_message) {
            reply_error(status::kBadRequest, "The request is not valid HTTP/1.1");
        } else {
            close();  // timeout, reset or the peer went away: nothing to answer
        }
    }

    void reply_error(int code, std::string_view detail) {
        Request request;
        assign_request_id(request);
        auto response = problem_response(code, detail, request.request_id);
        apply_security_headers(response, shared_.options.production);
        report(request.request_id, "", code);
        write(std::move(response), request.request_id, false, false);
    }

    // Logs and counts a response the server made without the router.
    void report(const std::string& request_id, const std::string& method, int code) {
        log::info(
            "http_request",
            {{"request_id", request_id},
             {"method", method},
             {"route", "unrouted"},
             {"status", code},
             {"client_ip", peer_ip_}}
        );
        if (auto* observer = shared_.options.observer) {
            observer->request_started();
            observer->request_finished(method, "unrouted", code, std::chrono::nanoseconds(0));
        }
    }

    void serve() {
        auto message = parser_->release();
        Request request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        const auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string::npos) {
            request.query = request.target.substr(question + 1);
        }
        for (const auto& field : message) {
            request.headers.add(field.name_string(), std::string(field.value()));
        }
        request.body = std::move(message.body());
        request.peer_ip = peer_ip_;
        request.client_ip = peer_ip_;
        request.keep_alive = message.keep_alive();
        assign_request_id(request);

        const bool head = request.method == "HEAD";
        const bool keep_alive = request.keep_alive;
        const std::string request_id = request.request_id;
        const std::string method = request.method;
        const bool accepted = shared_.workers.try_submit([self = shared_from_this(),
                                                          request = std::move(request),
                                                          head,
                                                          keep_alive]() mutable {
            auto response = self->handle(request);
            net::post(
                self->stream_.get_executor(),
                [self, response = std::move(response), id = request.request_id, head, keep_alive](
                ) mutable { self->write(std::move(response), id, keep_alive, head); }
            );
        });
        if (!accepted) {
            auto response = problem_response(
                status::kServiceUnavailable,
                "The server is overloaded; try again shortly",
                request_id
            );
            response.set("Retry-After", std::to_string(kRetryAfterSeconds));
            apply_security_headers(response, shared_.options.production);
            report(request_id, method, status::kServiceUnavailable);
            write(std::move(response), request_id, false, head);
        }
    }

    // Runs on a worker thread. The router's catch-all answers request failures; this is the
    // last line for a router built without it.
    Response handle(Request& request) {
        try {
            return shared_.router.handle(request);
        } catch (const std::exception& error) {
            log::error(
                "unhandled_exception",
                {{"request_id", request.request_id}, {"exception", error.what()}}
            );
        }
        return problem_response(
            status::kInternalServerError, "An unexpected error occurred", request.request_id
        );
    }

    void write(Response response, const std::string& request_id, bool keep_alive, bool head) {
        keep_alive = keep_alive && !shared_.draining;
        auto message = std::make_shared<beast::http::response<beast::http::string_body>>();
        message->result(static_cast<unsigned>(response.status));
        message->version(11);
        for (const auto& [name, value] : response.headers.fields()) {
            message->insert(name, value);
        }
        message->set("X-Request-ID", request_id);
        message->set(beast::http::field::server, "molvault");
        message->keep_alive(keep_alive);
        const auto length = response.body.size();
        if (head) {
            message->content_length(length);
        } else {
            message->body() = std::move(response.body);
            message->prepare_payload();
        }
        stream_.expires_after(kWriteTimeout);
        beast::http::async_write(
            stream_,
            *message,
            [self = shared_from_this(), message, keep_alive](beast::error_code ec, std::size_t) {
                if (ec || !keep_alive) {
                    self->close();
                    return;
                }
                self->first_ = false;
                self->wait_for_request();
            }
        );
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
    Shared& shared_;
    std::string peer_ip_;
    bool first_ = true;
    bool idle_ = false;
};

}  // namespace

struct Server::Impl {
    Impl(ServerOptions options, const Router& router, WorkerPool& workers)
        : shared(std::move(options), router, workers),
          acceptor(ioc),
          signals(ioc, SIGINT, SIGTERM),
          drain_timer(ioc) {}

    void accept() {
        acceptor.async_accept(
            net::make_strand(ioc),
            [this](beast::error_code ec, tcp::socket socket) {
                if (ec) {
                    if (acceptor.is_open()) {
                        log::warn("accept_failed", {{"error", ec.message()}});
                        accept();
                    }
                    return;
                }
                auto session = std::make_shared<Session>(std::move(socket), shared);
                {
                    const std::lock_guard lock(shared.sessions_mutex);
                    std::erase_if(shared.sessions, [](const auto& weak) { return weak.expired(); });
                    shared.sessions.push_back(session);
                }
                session->start();
                accept();
            }
        );
    }

    void begin_drain(std::string_view reason) {
        if (shared.draining.exchange(true)) {
            return;
        }
        log::info("shutdown_started", {{"reason", reason}});
        beast::error_code ignored;
        acceptor.close(ignored);
        signals.cancel(ignored);
        {
            const std::lock_guard lock(shared.sessions_mutex);
            for (const auto& weak : shared.sessions) {
                if (auto session = weak.lock()) {
                    session->drain();
                }
            }
        }
        drain_deadline = std::chrono::steady_clock::now() + shared.options.shutdown_grace;
        poll_drain();
    }

    void poll_drain() {
        if (shared.live_sessions.load() == 0 ||
            std::chrono::steady_clock::now() >= drain_deadline) {
            log::info("shutdown_complete", {{"open_connections", shared.live_sessions.load()}});
            ioc.stop();
            return;
        }
        drain_timer.expires_after(kDrainPollInterval);
        drain_timer.async_wait([this](beast::error_code ec) {
            if (!ec) {
                poll_drain();
            }
        });
    }

    Shared shared;
    net::io_context ioc;
    tcp::acceptor acceptor;
    net::signal_set signals;
    net::steady_timer drain_timer;
    std::chrono::steady_clock::time_point drain_deadline;
};

Server::Server(ServerOptions options, const Router& router, WorkerPool& workers)
    : impl_(std::make_unique<Impl>(std::move(options), router, workers)) {}

Server::~Server() = default;

std::uint16_t Server::listen() {
    const auto address = net::ip::make_address(impl_->shared.options.host);
    const tcp::endpoint endpoint(address, impl_->shared.options.port);
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    return acceptor.local_endpoint().port();
}

void Server::run() {
    impl_->signals.async_wait([this](beast::error_code ec, int signal) {
        if (!ec) {
            impl_->begin_drain(signal == SIGTERM ? "SIGTERM" : "SIGINT");
        }
    });
    impl_->accept();
    std::vector<std::thread> threads;
    const int extra = impl_->shared.options.io_threads - 1;
    for (int i = 0; i < extra; ++i) {
        threads.emplace_back([this] { impl_->ioc.run(); });
    }
    impl_->ioc.run();
    for (auto& thread : threads) {
        thread.join();
    }
}

void Server::stop() {
    net::post(impl_->ioc, [this] { impl_->begin_drain("requested"); });
}

}  // namespace molvault::http
