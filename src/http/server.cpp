#include "http/server.hpp"

#include <atomic>
#include <limits>
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
#include "http/body_channel.hpp"
#include "http/middleware.hpp"
#include "http/problem.hpp"

namespace molvault::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t kFirstReadBytes = 4096;
constexpr std::chrono::milliseconds kDrainPollInterval{25};
// Each write gets this long: a whole response, or one chunk of a streamed one.
constexpr std::chrono::milliseconds kWriteTimeout{30'000};
constexpr int kRetryAfterSeconds = 1;
// Streamed request bodies: one socket read fills at most one piece, and reading pauses while
// this many bytes wait for the handler, so an upload holds at most ~5 pieces in memory.
constexpr std::size_t kUploadPieceBytes = 64 * 1024;
constexpr std::size_t kUploadQueueBytes = 4 * kUploadPieceBytes;
// The handler's own wait for the next piece gives up this long after the body deadline; the
// connection normally fails the body first (a safety net for a connection that vanished).
constexpr std::chrono::milliseconds kUploadWaitMargin{5'000};
// After answering a request whose body was not read, what the client still sends is read and
// dropped for at most this long and this many bytes before the socket is closed: closing with
// unread data would send a reset, and the client could lose the answer.
constexpr std::chrono::milliseconds kLingerTimeout{2'000};
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::size_t kLingerReadBytes = 16 * 1024;

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

// The Request for a message whose head has been read (its body is left to the caller).
template <class Body>
Request make_request(const beast::http::request<Body>& head, const std::string& peer_ip) {
    Request request;
    request.method = std::string(head.method_string());
    request.target = std::string(head.target());
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
        request.query = request.target.substr(question + 1);
    }
    for (const auto& field : head) {
        request.headers.add(field.name_string(), std::string(field.value()));
    }
    request.peer_ip = peer_ip;
    request.client_ip = peer_ip;
    request.keep_alive = head.keep_alive();
    assign_request_id(request);
    return request;
}

bool is_http_syntax_error(beast::error_code ec) {
    return ec.category() ==
               beast::http::make_error_code(beast::http::error::bad_target).category() &&
           ec != beast::http::error::end_of_stream && ec != beast::http::error::partial_message;
}

// A response being streamed. Owned by whichever step runs: the worker producing the next chunk,
// then the strand writing it; the hand-offs through the pool and the strand order the accesses.
struct OutgoingStream {
    std::unique_ptr<BodyStream> producer;
    std::string request_id;
    std::string chunk;  // produced, being written
    bool chunked = true;
    bool keep_alive = false;
    bool body_unread = false;
    std::uint64_t bytes = 0;
    std::uint64_t chunks = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

enum class StreamStep { kChunk, kEnd, kFailed };

// Runs on a worker thread: the next non-empty chunk into state.chunk, or the end. The producer is
// destroyed here once it has ended or failed.
StreamStep produce(OutgoingStream& state) {
    try {
        auto chunk = state.producer->next();
        while (chunk && chunk->empty()) {
            chunk = state.producer->next();
        }
        if (chunk) {
            state.chunk = std::move(*chunk);
            return StreamStep::kChunk;
        }
        state.producer.reset();
        return StreamStep::kEnd;
    } catch (const std::exception& error) {
        log::error(
            "response_stream_failed",
            {{"request_id", state.request_id},
             {"exception", error.what()},
             {"bytes_sent", state.bytes}}
        );
    } catch (...) {
        log::error(
            "response_stream_failed",
            {{"request_id", state.request_id}, {"bytes_sent", state.bytes}}
        );
    }
    state.producer.reset();
    return StreamStep::kFailed;
}

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
    ~Session() {
        abandon();
        --shared_.live_sessions;
    }

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

    // Wakes a handler waiting for upload data that will never come. Called when the session
    // ends, and by Server::run() once the I/O threads have stopped (so never concurrently with
    // the strand).
    void abandon() {
        if (upload_) {
            upload_->fail(BodyReadError::Reason::kDisconnected);
        }
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
        header_parser_.emplace();
        header_parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
        // No limit yet: the route's applies, checked in on_header. (Not boost::none, which
        // Boost 1.74 compares as smaller than any Content-Length.)
        header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        stream_.expires_after(shared_.options.header_timeout);
        beast::http::async_read_header(
            stream_,
            buffer_,
            *header_parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); }
        );
    }

    // The head has arrived: route it (method and path only) to learn how to take the body.
    void on_header(beast::error_code ec) {
        if (ec) {
            on_read_error(ec);
            return;
        }
        const auto& head = header_parser_->get();
        version_ = head.version();
        const std::string_view target = head.target();
        const auto route =
            shared_.router.options_for(head.method_string(), target.substr(0, target.find('?')));
        const auto limit = route.max_body_bytes.value_or(shared_.options.max_body_bytes);
        if (const auto length = header_parser_->content_length(); length && *length > limit) {
            reply_error(status::kPayloadTooLarge, "The request body is too large", true);
            return;
        }
        expect_continue_ = !header_parser_->is_done() && head.version() >= 11 &&
                           iequals(head[beast::http::field::expect], "100-continue");
        if (route.streamed_body) {
            start_upload(limit);
            return;
        }
        body_parser_.emplace(std::move(*header_parser_));
        header_parser_.reset();
        if (body_parser_->is_done()) {
            serve();
            return;
        }
        body_parser_->body_limit(limit);
        if (!expect_continue_) {
            read_body();
            return;
        }
        expect_continue_ = false;
        send_continue([self = shared_from_this()](beast::error_code write_ec) {
            if (write_ec) {
                self->close();
                return;
            }
            self->read_body();
        });
    }

    // Tells a client that sent "Expect: 100-continue" to send the body.
    template <class Done>
    void send_continue(Done done) {
        auto reply = std::make_shared<beast::http::response<beast::http::empty_body>>(
            beast::http::status::continue_, 11
        );
        stream_.expires_after(kWriteTimeout);
        beast::http::async_write(
            stream_,
            *reply,
            [reply, done = std::move(done)](beast::error_code ec, std::size_t) mutable { done(ec); }
        );
    }

    void read_body() {
        stream_.expires_after(shared_.options.body_timeout);
        beast::http::async_read(
            stream_,
            buffer_,
            *body_parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    self->on_read_error(ec);
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
            reply_error(status::kPayloadTooLarge, "The request body is too large", true);
        } else if (is_http_syntax_error(ec)) {
            reply_error(status::kBadRequest, "The request is not valid HTTP/1.1");
        } else {
            close();  // timeout, reset or the peer went away: nothing to answer
        }
    }

    void reply_error(int code, std::string_view detail, bool body_unread = false) {
        Request request;
        assign_request_id(request);
        auto response = problem_response(code, detail, request.request_id);
        apply_security_headers(response, shared_.options.production);
        report(request.request_id, "", code);
        write(std::move(response), request.request_id, false, false, body_unread);
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

    // A buffered request: the whole body has arrived.
    void serve() {
        auto message = body_parser_->release();
        body_parser_.reset();
        auto request = make_request(message, peer_ip_);
        request.body = std::move(message.body());
        dispatch(std::move(request));
    }

    // A streamed request: the handler runs now and pulls the body through upload_, which this
    // session fills (pump_upload) only once the handler asks for it.
    void start_upload(std::size_t limit) {
        stream_parser_.emplace(std::move(*header_parser_));
        header_parser_.reset();
        stream_parser_->body_limit(limit);
        upload_ = std::make_shared<BodyChannel>(
            kUploadQueueBytes,
            shared_.options.body_timeout + kUploadWaitMargin,
            [weak = weak_from_this()] {
                if (auto self = weak.lock()) {
                    net::post(self->stream_.get_executor(), [self] { self->pump_upload(); });
                }
            }
        );
        if (stream_parser_->is_done()) {
            upload_->finish();
        }
        auto request = make_request(stream_parser_->get(), peer_ip_);
        request.body_reader = upload_;
        upload_request_id_ = request.request_id;
        dispatch(std::move(request));
    }

    // On the strand: reads the next piece of a streamed body if the handler wants one and no
    // read is in flight. The body deadline applies to each read: a stalled upload fails after
    // HTTP_BODY_TIMEOUT_MS without progress; a paused one (full queue) is not timed.
    void pump_upload() {
        if (!upload_ || upload_busy_ || pending_ || !upload_->wants_more()) {
            return;
        }
        upload_busy_ = true;
        if (expect_continue_) {
            expect_continue_ = false;
            send_continue([self = shared_from_this()](beast::error_code ec) {
                self->upload_busy_ = false;
                if (self->pending_) {
                    self->respond_pending();
                } else if (ec) {
                    self->fail_upload(ec);
                } else {
                    self->pump_upload();
                }
            });
            return;
        }
        upload_piece_.resize(kUploadPieceBytes);
        auto& body = stream_parser_->get().body();
        body.data = upload_piece_.data();
        body.size = upload_piece_.size();
        stream_.expires_after(shared_.options.body_timeout);
        beast::http::async_read_some(
            stream_,
            buffer_,
            *stream_parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                self->on_upload_read(ec);
            }
        );
    }

    void on_upload_read(beast::error_code ec) {
        upload_busy_ = false;
        if (pending_) {
            respond_pending();  // the handler has answered: the read was cancelled
            return;
        }
        const auto filled = kUploadPieceBytes - stream_parser_->get().body().size;
        if (filled > 0) {
            upload_piece_.resize(filled);
            upload_->push(std::move(upload_piece_));
            upload_piece_ = std::string();
        }
        if (ec == beast::http::error::need_buffer) {
            ec = {};  // the piece is full
        }
        if (ec) {
            fail_upload(ec);
            return;
        }
        if (stream_parser_->is_done()) {
            upload_->finish();
            return;
        }
        pump_upload();
    }

    void fail_upload(beast::error_code ec) {
        auto reason = BodyReadError::Reason::kDisconnected;
        if (ec == beast::http::error::body_limit) {
            reason = BodyReadError::Reason::kTooLarge;
        } else if (ec == beast::error::timeout) {
            reason = BodyReadError::Reason::kTimedOut;
        } else if (is_http_syntax_error(ec)) {
            reason = BodyReadError::Reason::kMalformed;
        }
        log::info(
            "request_body_failed",
            {{"request_id", upload_request_id_},
             {"reason", reason_name(reason)},
             {"bytes_read", upload_->bytes_read()}}
        );
        upload_->fail(reason);
    }

    void dispatch(Request request) {
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
                ) mutable { self->respond(std::move(response), id, keep_alive, head); }
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
            respond(std::move(response), request_id, false, head);
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

    // On the strand, with the handler's answer. A streamed body ends here: any read still in
    // flight is cancelled first; if the body was not read to its end the connection closes after
    // the answer; if the client stalled or left while sending it, there is no one to answer.
    void respond(Response response, const std::string& request_id, bool keep_alive, bool head) {
        bool body_unread = false;
        if (upload_) {
            upload_->close();
            if (upload_busy_) {
                pending_.emplace(PendingResponse{std::move(response), request_id, keep_alive, head}
                );
                stream_.cancel();
                return;
            }
            const auto failure = upload_->failure();
            body_unread = !stream_parser_->is_done();
            upload_.reset();
            stream_parser_.reset();
            if (failure == BodyReadError::Reason::kTimedOut ||
                failure == BodyReadError::Reason::kDisconnected) {
                close();
                return;
            }
        }
        write(std::move(response), request_id, keep_alive, head, body_unread);
    }

    void respond_pending() {
        auto pending = std::move(*pending_);
        pending_.reset();
        respond(std::move(pending.response), pending.request_id, pending.keep_alive, pending.head);
    }

    void write(
        Response response,
        const std::string& request_id,
        bool keep_alive,
        bool head,
        bool body_unread = false
    ) {
        keep_alive = keep_alive && !body_unread && !shared_.draining;
        if (response.stream) {
            write_stream(std::move(response), request_id, keep_alive, head, body_unread);
            return;
        }
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
            [self = shared_from_this(), message, keep_alive, body_unread](
                beast::error_code ec, std::size_t
            ) {
                if (ec) {
                    self->close();
                    return;
                }
                self->after_response(keep_alive, body_unread);
            }
        );
    }

    void after_response(bool keep_alive, bool body_unread) {
        if (body_unread) {
            linger_close();
        } else if (!keep_alive) {
            close();
        } else {
            first_ = false;
            wait_for_request();
        }
    }

    // Sends the head of a streamed response, then one chunk per worker step (request_chunk):
    // the next chunk is produced only after the previous one was written.
    void write_stream(
        Response response,
        const std::string& request_id,
        bool keep_alive,
        bool head,
        bool body_unread
    ) {
        auto state = std::make_shared<OutgoingStream>();
        state->producer = std::move(response.stream);
        state->request_id = request_id;
        state->chunked = version_ >= 11;  // HTTP/1.0 has no chunks: the close ends the body
        state->keep_alive = keep_alive && state->chunked;
        state->body_unread = body_unread;
        auto message = std::make_shared<beast::http::response<beast::http::empty_body>>();
        message->result(static_cast<unsigned>(response.status));
        message->version(11);
        for (const auto& [name, value] : response.headers.fields()) {
            message->insert(name, value);
        }
        message->erase(beast::http::field::content_length);
        message->set("X-Request-ID", request_id);
        message->set(beast::http::field::server, "molvault");
        message->keep_alive(state->keep_alive);
        message->chunked(state->chunked);
        auto serializer =
            std::make_shared<beast::http::response_serializer<beast::http::empty_body>>(*message);
        stream_.expires_after(kWriteTimeout);
        beast::http::async_write_header(
            stream_,
            *serializer,
            [self = shared_from_this(), message, serializer, state, head](
                beast::error_code ec, std::size_t
            ) {
                if (ec) {
                    self->release_producer(*state);
                    self->finish_stream(*state, "client_gone");
                    self->close();
                    return;
                }
                if (head) {
                    self->release_producer(*state);
                    if (!state->chunked) {
                        self->close();
                        return;
                    }
                    self->after_response(state->keep_alive, state->body_unread);
                    return;
                }
                self->request_chunk(state);
            }
        );
    }

    void request_chunk(std::shared_ptr<OutgoingStream> state) {
        const bool queued = shared_.workers.submit_continuation([self = shared_from_this(), state] {
            const auto step = produce(*state);
            net::post(self->stream_.get_executor(), [self, state, step] {
                self->on_chunk(state, step);
            });
        });
        if (!queued) {  // the pool is stopping: the stream cannot finish
            finish_stream(*state, "shutdown");
            abort_connection();
        }
    }

    void on_chunk(const std::shared_ptr<OutgoingStream>& state, StreamStep step) {
        if (step == StreamStep::kFailed) {
            finish_stream(*state, "producer_failed");
            abort_connection();
            return;
        }
        stream_.expires_after(kWriteTimeout);
        if (step == StreamStep::kEnd) {
            if (!state->chunked) {
                finish_stream(*state, "complete");
                close();
                return;
            }
            net::async_write(
                stream_,
                beast::http::make_chunk_last(),
                [self = shared_from_this(), state](beast::error_code ec, std::size_t) {
                    if (ec) {
                        self->finish_stream(*state, "client_gone");
                        self->close();
                        return;
                    }
                    self->finish_stream(*state, "complete");
                    self->after_response(state->keep_alive, state->body_unread);
                }
            );
            return;
        }
        auto written = [self = shared_from_this(), state](beast::error_code ec, std::size_t) {
            if (ec) {
                self->release_producer(*state);
                self->finish_stream(*state, "client_gone");
                self->close();
                return;
            }
            state->bytes += state->chunk.size();
            ++state->chunks;
            state->chunk = std::string();
            self->request_chunk(state);
        };
        if (state->chunked) {
            net::async_write(
                stream_, beast::http::make_chunk(net::buffer(state->chunk)), std::move(written)
            );
        } else {
            net::async_write(stream_, net::buffer(state->chunk), std::move(written));
        }
    }

    // Hands an idle producer to a worker to be destroyed there (its destructor may touch the
    // database); only if the pool is stopping is it destroyed here.
    void release_producer(OutgoingStream& state) {
        if (!state.producer) {
            return;
        }
        std::shared_ptr<BodyStream> producer = std::move(state.producer);
        const bool queued = shared_.workers.submit_continuation([producer = std::move(producer)](
                                                                ) mutable { producer.reset(); });
        if (!queued) {
            log::debug("response_stream_released_on_io_thread", {{"request_id", state.request_id}});
        }
    }

    void finish_stream(const OutgoingStream& state, std::string_view outcome) {
        const auto elapsed = std::chrono::steady_clock::now() - state.started;
        log::info(
            "http_stream_finished",
            {{"request_id", state.request_id},
             {"outcome", outcome},
             {"bytes", state.bytes},
             {"chunks", state.chunks},
             {"duration_ms", std::chrono::duration<double, std::milli>(elapsed).count()}}
        );
    }

    // Read and drop what the client still sends (see kLingerTimeout), then close.
    void linger_close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        linger_left_ = kLingerBytes;
        stream_.expires_after(kLingerTimeout);
        discard_some();
    }

    void discard_some() {
        upload_piece_.resize(kLingerReadBytes);
        stream_.async_read_some(
            net::buffer(upload_piece_),
            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                if (ec || bytes >= self->linger_left_) {
                    self->upload_piece_ = std::string();
                    self->stream_.close();
                    return;
                }
                self->linger_left_ -= bytes;
                self->discard_some();
            }
        );
    }

    // Ends the connection with a reset, so that not even an HTTP/1.0 client (whose body ends
    // when the connection does) can take a failed stream for a complete one.
    void abort_connection() {
        beast::error_code ignored;
        stream_.socket().set_option(net::socket_base::linger(true, 0), ignored);
        stream_.close();
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }

    struct PendingResponse {
        Response response;
        std::string request_id;
        bool keep_alive = false;
        bool head = false;
    };

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    // One request at a time: the head is read with header_parser_, then the body with
    // body_parser_ (buffered routes) or stream_parser_ (streamed_body routes).
    std::optional<beast::http::request_parser<beast::http::empty_body>> header_parser_;
    std::optional<beast::http::request_parser<beast::http::string_body>> body_parser_;
    std::optional<beast::http::request_parser<beast::http::buffer_body>> stream_parser_;
    Shared& shared_;
    std::string peer_ip_;
    unsigned version_ = 11;  // of the request being served
    bool first_ = true;
    bool idle_ = false;
    bool expect_continue_ = false;  // "Expect: 100-continue" not yet answered
    // A streamed request body: the channel the handler reads, whether a read (or the 100
    // Continue) is in flight, and the handler's answer waiting for that read to stop.
    std::shared_ptr<BodyChannel> upload_;
    std::string upload_request_id_;
    std::string upload_piece_;
    bool upload_busy_ = false;
    std::optional<PendingResponse> pending_;
    std::size_t linger_left_ = 0;
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
    // Streams still open after the grace period stay unfinished; wake their handlers, which may
    // be waiting for upload data that no I/O thread will deliver now.
    const std::lock_guard lock(impl_->shared.sessions_mutex);
    for (const auto& weak : impl_->shared.sessions) {
        if (auto session = weak.lock()) {
            session->abandon();
        }
    }
}

void Server::stop() {
    net::post(impl_->ioc, [this] { impl_->begin_drain("requested"); });
}

}  // namespace molvault::http
