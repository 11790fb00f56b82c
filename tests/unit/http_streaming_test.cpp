// Streamed bodies through a real http::Server, run in-process on a loopback port with a small
// router, so each test owns its handlers and server options: chunked responses (complete,
// client gone, producer failure, HEAD, HTTP/1.0, drain) and streamed uploads (bounded memory,
// limits, refusal before the body is read, stalls, Expect: 100-continue, keep-alive).
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/worker_pool.hpp"
#include "http/json.hpp"
#include "http/middleware.hpp"
#include "http/problem.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"

namespace molvault::http {
namespace {

using namespace std::chrono_literals;
using test::HttpClient;
using test::RawConnection;

constexpr std::size_t kChunkBytes = 16 * 1024;
constexpr std::size_t kPieceBytes = 64 * 1024;              // server.cpp: kUploadPieceBytes
constexpr std::size_t kMaxBufferedBytes = 5 * kPieceBytes;  // the queue limit plus one piece

// The server, listening on a free port and running on its own thread until destroyed.
class TestServer {
public:
    explicit TestServer(const Router& router, ServerOptions options = {}, int workers = 4)
        : workers_(workers, 64), server_(with_free_port(std::move(options)), router, workers_) {
        port_ = server_.listen();
        thread_ = std::thread([this] { server_.run(); });
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;
    ~TestServer() { stop(); }

    [[nodiscard]] std::uint16_t port() const { return port_; }

    // Drains as SIGTERM would and waits until run() has returned.
    void stop() {
        if (thread_.joinable()) {
            server_.stop();
            thread_.join();
            workers_.stop();
        }
    }

private:
    static ServerOptions with_free_port(ServerOptions options) {
        options.port = 0;
        return options;
    }

    WorkerPool workers_;
    Server server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// What the test handlers and producers saw, from whichever thread they ran on.
class Probe {
public:
    void call() {
        const std::lock_guard lock(mutex_);
        ++calls_;
        threads_.insert(std::this_thread::get_id());
        changed_.notify_all();
    }
    void destroyed() {
        const std::lock_guard lock(mutex_);
        destroyed_ = true;
        destroyer_ = std::this_thread::get_id();
        changed_.notify_all();
    }
    bool wait_for_calls(int calls, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return calls_ >= calls; });
    }
    bool wait_until_destroyed(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return destroyed_; });
    }
    int calls() {
        const std::lock_guard lock(mutex_);
        return calls_;
    }
    // True when the producer was destroyed on a thread that also ran next(): a worker.
    bool destroyed_on_a_worker() {
        const std::lock_guard lock(mutex_);
        return destroyed_ && threads_.contains(destroyer_);
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int calls_ = 0;
    bool destroyed_ = false;
    std::set<std::thread::id> threads_;
    std::thread::id destroyer_;
};

// Produces `chunks` chunks ("chunk N:" then filler), or endlessly when chunks < 0; throws
// instead of producing chunk number `fail_at`; optionally pauses before each chunk.
class ProbedStream : public BodyStream {
public:
    ProbedStream(
        std::shared_ptr<Probe> probe,
        int chunks,
        int fail_at = -1,
        std::chrono::milliseconds pause = 0ms
    )
        : probe_(std::move(probe)), chunks_(chunks), fail_at_(fail_at), pause_(pause) {}
    ProbedStream(const ProbedStream&) = delete;
    ProbedStream& operator=(const ProbedStream&) = delete;
    ~ProbedStream() override { probe_->destroyed(); }

    std::optional<std::string> next() override {
        probe_->call();
        std::this_thread::sleep_for(pause_);
        if (next_ == fail_at_) {
            throw std::runtime_error("the export cursor broke");
        }
        if (chunks_ >= 0 && next_ == chunks_) {
            return std::nullopt;
        }
        return chunk(next_++);
    }

    static std::string chunk(int n) {
        auto text = "chunk " + std::to_string(n) + ":";
        text.resize(kChunkBytes, '.');
        return text;
    }
    static std::string body(int chunks) {
        std::string all;
        for (int n = 0; n < chunks; ++n) {
            all += chunk(n);
        }
        return all;
    }

private:
    std::shared_ptr<Probe> probe_;
    int chunks_;
    int fail_at_;
    std::chrono::milliseconds pause_;
    int next_ = 0;
};

Handler streaming_handler(
    std::shared_ptr<Probe> probe,
    int chunks,
    int fail_at = -1,
    std::chrono::milliseconds pause = 0ms
) {
    return [probe = std::move(probe), chunks, fail_at, pause](Request&) {
        Response response;
        response.set("Content-Type", "text/plain");
        response.stream = std::make_unique<ProbedStream>(probe, chunks, fail_at, pause);
        return response;
    };
}

// Counts a streamed upload; answers {"bytes", "largest_piece", "peak_buffered_bytes"}.
Response count_upload(const Request& request) {
    std::uint64_t bytes = 0;
    std::size_t largest = 0;
    while (const auto piece = request.body_reader->read_some()) {
        bytes += piece->size();
        largest = std::max(largest, piece->size());
    }
    return json_response(
        status::kOk,
        {{"bytes", bytes},
         {"largest_piece", largest},
         {"peak_buffered_bytes", request.body_reader->peak_buffered_bytes()}}
    );
}

// A stand-in for the authentication middleware: no Authorization header, no entry.
Middleware require_authorization() {
    return [](Request& request, const Handler& next) {
        if (!request.header("Authorization")) {
            return problem_response(status::kUnauthorized, "Sign in", request.request_id);
        }
        return next(request);
    };
}

Router base_router() {
    Router router;
    router.use(security_headers(false));
    router.use(catch_all());
    router.use(require_authorization());
    return router;
}

std::string head_of(const std::string& reply) { return reply.substr(0, reply.find("\r\n\r\n")); }
std::string body_of(const std::string& reply) {
    const auto end = reply.find("\r\n\r\n");
    return end == std::string::npos ? "" : reply.substr(end + 4);
}
std::size_t count(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

std::string upload_head(std::size_t length, std::string_view extra = "") {
    return "POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: " +
           std::to_string(length) + "\r\n" + std::string(extra) + "\r\n";
}

const test::HeaderList kAuthorized = {{"Authorization", "Bearer t"}};

TEST(HttpStreaming, SendsAStreamedResponseChunkedAndComplete) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.get("/stream", streaming_handler(probe, 200));
    TestServer server(router);
    HttpClient client(server.port());
    const auto response = client.get("/stream", kAuthorized);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(response.header("Content-Length"));
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff") << "middleware still applies";
    EXPECT_EQ(response.body.size(), 200 * kChunkBytes);
    EXPECT_EQ(response.body, ProbedStream::body(200));
    EXPECT_TRUE(probe->wait_until_destroyed(5s));
    EXPECT_TRUE(probe->destroyed_on_a_worker());
    EXPECT_EQ(client.get("/stream", kAuthorized).body.size(), 200 * kChunkBytes)
        << "the connection is reused after the terminator";
}

TEST(HttpStreaming, AnswersHeadWithoutRunningTheProducer) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.get("/stream", streaming_handler(probe, 3));
    TestServer server(router);
    HttpClient client(server.port());
    const auto head = client.request("HEAD", "/stream", "", kAuthorized);
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_TRUE(probe->wait_until_destroyed(5s));
    EXPECT_EQ(probe->calls(), 0);
    EXPECT_EQ(client.get("/stream", kAuthorized).body, ProbedStream::body(3))
        << "the connection stays usable";
}

TEST(HttpStreaming, SendsAStreamToAnHttp10ClientUntilTheConnectionCloses) {
    auto router = base_router();
    router.get("/stream", streaming_handler(std::make_shared<Probe>(), 5));
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send("GET /stream HTTP/1.0\r\nAuthorization: Bearer t\r\n\r\n");
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << head_of(reply);
    EXPECT_EQ(head_of(reply).find("chunked"), std::string::npos);
    EXPECT_EQ(body_of(reply), ProbedStream::body(5));
}

TEST(HttpStreaming, StopsAndReleasesTheProducerWhenTheClientDisconnects) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.get("/stream", streaming_handler(probe, -1));
    TestServer server(router, {}, 1);  // one worker: "destroyed on a worker" means that one
    {
        RawConnection connection(server.port());
        connection.send("GET /stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n");
        const auto start = connection.read_until("chunk 2:", 5s);
        ASSERT_NE(start.find("chunk 2:"), std::string::npos);
    }  // the client goes away mid-stream
    ASSERT_TRUE(probe->wait_until_destroyed(10s));
    EXPECT_TRUE(probe->destroyed_on_a_worker());
    const int calls = probe->calls();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(probe->calls(), calls) << "no chunk is produced after the producer is gone";
    HttpClient client(server.port());
    EXPECT_EQ(client.get("/stream-missing", kAuthorized).status, 404) << "the server still serves";
}

TEST(HttpStreaming, AbortsTheConnectionWithoutTheTerminatorWhenTheProducerThrows) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.get("/stream", streaming_handler(probe, 10, 3));
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send("GET /stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n");
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << head_of(reply);
    EXPECT_NE(reply.find("chunk 2:"), std::string::npos);
    EXPECT_EQ(reply.find("\r\n0\r\n\r\n"), std::string::npos) << "no terminator";
    EXPECT_TRUE(probe->wait_until_destroyed(5s));
    HttpClient client(server.port());
    EXPECT_THROW(client.get("/stream", kAuthorized), std::runtime_error)
        << "a client reading the body sees a failed transfer";
}

TEST(HttpStreaming, FinishesAStreamInProgressWhenDraining) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.get("/stream", streaming_handler(probe, 8, -1, 50ms));
    TestServer server(router);
    auto download = std::async(std::launch::async, [port = server.port()] {
        HttpClient client(port);
        return client.get("/stream", kAuthorized);
    });
    ASSERT_TRUE(probe->wait_for_calls(2, 5s));
    server.stop();  // returns once the stream is done (or the grace period is over)
    const auto response = download.get();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, ProbedStream::body(8));
}

TEST(HttpStreaming, ReadsALargeUploadIncrementallyWithBoundedBuffering) {
    constexpr std::size_t kUploadBytes = 50 * 1024 * 1024;
    constexpr std::size_t kSendBytes = 1024 * 1024;
    auto router = base_router();
    router.post(
        "/upload", count_upload, {.max_body_bytes = 64 * 1024 * 1024, .streamed_body = true}
    );
    TestServer server(router);
    RawConnection connection(server.port());
    ASSERT_TRUE(connection.send(upload_head(kUploadBytes, "Connection: close\r\n")));
    const std::string slice(kSendBytes, 'u');
    for (std::size_t sent = 0; sent < kUploadBytes; sent += kSendBytes) {
        ASSERT_TRUE(connection.send(slice));
    }
    const auto reply = connection.read_until_closed(10s);
    ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
    const auto result = nlohmann::json::parse(body_of(reply));
    EXPECT_EQ(result["bytes"], kUploadBytes);
    EXPECT_LE(result["largest_piece"].get<std::size_t>(), kPieceBytes);
    EXPECT_GT(result["peak_buffered_bytes"].get<std::size_t>(), 0U);
    EXPECT_LE(result["peak_buffered_bytes"].get<std::size_t>(), kMaxBufferedBytes);
}

TEST(HttpStreaming, ReadsAChunkedUpload) {
    auto router = base_router();
    router.post("/upload", count_upload, {.streamed_body = true});
    TestServer server(router);
    RawConnection connection(server.port());
    std::string request =
        "POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
        request += "2800\r\n" + std::string(0x2800, 'c') + "\r\n";
    }
    request += "0\r\n\r\n";
    connection.send(request);
    const auto reply = connection.read_until_closed(5s);
    ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
    EXPECT_EQ(nlohmann::json::parse(body_of(reply))["bytes"], 20 * 0x2800);
}

TEST(HttpStreaming, RefusesAnUploadWhoseLengthIsOverTheRouteLimitBeforeTheHandlerRuns) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.post(
        "/upload",
        [probe](const Request& request) {
            probe->call();
            return count_upload(request);
        },
        {.max_body_bytes = 1024 * 1024, .streamed_body = true}
    );
    TestServer server(router);  // the server-wide limit (1 MiB) would allow it: the route's wins
    RawConnection connection(server.port());
    connection.send(upload_head(2 * 1024 * 1024));
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0U) << reply;
    EXPECT_EQ(probe->calls(), 0);
}

TEST(HttpStreaming, RefusesAChunkedUploadThatGrowsPastTheRouteLimit) {
    auto router = base_router();
    router.post("/upload", count_upload, {.max_body_bytes = 100 * 1024, .streamed_body = true});
    TestServer server(router);
    RawConnection connection(server.port());
    std::string request =
        "POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
        request += "2800\r\n" + std::string(0x2800, 'c') + "\r\n";
    }
    request += "0\r\n\r\n";
    connection.send(request);
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0U) << reply;
    EXPECT_NE(head_of(reply).find("Connection: close"), std::string::npos);
}

TEST(HttpStreaming, AllowsARouteABodyLargerThanTheServerLimit) {
    auto router = base_router();
    router.post(
        "/upload", count_upload, {.max_body_bytes = 4 * 1024 * 1024, .streamed_body = true}
    );
    ServerOptions options;
    options.max_body_bytes = 1024;
    TestServer server(router, options);
    RawConnection connection(server.port());
    connection.send(upload_head(2 * 1024 * 1024, "Connection: close\r\n"));
    connection.send(std::string(2 * 1024 * 1024, 'b'));
    const auto reply = connection.read_until_closed(5s);
    ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << head_of(reply);
    EXPECT_EQ(nlohmann::json::parse(body_of(reply))["bytes"], 2 * 1024 * 1024);
}

TEST(HttpStreaming, RefusesAnUnauthenticatedUploadWithoutAskingForTheBody) {
    auto probe = std::make_shared<Probe>();
    auto router = base_router();
    router.post(
        "/upload",
        [probe](const Request& request) {
            probe->call();
            return count_upload(request);
        },
        {.max_body_bytes = 512 * 1024 * 1024, .streamed_body = true}
    );
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 500000000\r\n"
        "Expect: 100-continue\r\n\r\n"
    );
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0U) << reply;
    EXPECT_EQ(reply.find("100 Continue"), std::string::npos);
    EXPECT_NE(head_of(reply).find("Connection: close"), std::string::npos)
        << "the unread body cannot be skipped, so the connection ends";
    EXPECT_EQ(probe->calls(), 0);
}

TEST(HttpStreaming, AnswersAnUnauthenticatedClientThatSendsTheBodyAnyway) {
    auto router = base_router();
    router.post(
        "/upload", count_upload, {.max_body_bytes = 512 * 1024 * 1024, .streamed_body = true}
    );
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 500000000\r\n\r\n");
    connection.send(std::string(256 * 1024, 'x'));
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0U) << reply;
    EXPECT_NE(head_of(reply).find("Connection: close"), std::string::npos);
}

TEST(HttpStreaming, ClosesAStalledUploadAfterTheBodyDeadline) {
    std::promise<std::string> outcome;
    auto router = base_router();
    router.post(
        "/upload",
        [&outcome](const Request& request) {
            try {
                auto response = count_upload(request);
                outcome.set_value("complete");
                return response;
            } catch (const BodyReadError& error) {
                outcome.set_value(reason_name(error.reason()));
                throw;
            }
        },
        {.streamed_body = true}
    );
    ServerOptions options;
    options.body_timeout = 300ms;
    TestServer server(router, options);
    RawConnection connection(server.port());
    connection.send(upload_head(10'000));
    connection.send(std::string(1'000, 's'));  // and then nothing
    EXPECT_TRUE(connection.closed_within(5s));
    auto result = outcome.get_future();
    ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(result.get(), "timed_out");
}

TEST(HttpStreaming, SendsContinueWhenTheHandlerStartsReading) {
    auto router = base_router();
    router.post("/upload", count_upload, {.streamed_body = true});
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send(upload_head(5'000, "Expect: 100-continue\r\nConnection: close\r\n"));
    const auto interim = connection.read_until("\r\n\r\n", 5s);
    EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue", 0), 0U) << interim;
    connection.send(std::string(5'000, 'e'));
    const auto reply = connection.read_until_closed(5s);
    ASSERT_NE(reply.find("HTTP/1.1 200"), std::string::npos) << reply;
    EXPECT_EQ(nlohmann::json::parse(body_of(reply))["bytes"], 5'000);
}

TEST(HttpStreaming, SendsContinueForABufferedBody) {
    auto router = base_router();
    router.post("/echo-size", [](const Request& request) {
        return json_response(status::kOk, {{"bytes", request.body.size()}});
    });
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send(
        "POST /echo-size HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 300\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n"
    );
    const auto interim = connection.read_until("\r\n\r\n", 5s);
    EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue", 0), 0U) << interim;
    connection.send(std::string(300, 'e'));
    const auto reply = connection.read_until_closed(5s);
    ASSERT_NE(reply.find("HTTP/1.1 200"), std::string::npos) << reply;
    EXPECT_EQ(nlohmann::json::parse(body_of(reply))["bytes"], 300);
}

TEST(HttpStreaming, KeepsTheConnectionAliveAfterAnUploadReadToItsEnd) {
    auto router = base_router();
    router.post("/upload", count_upload, {.streamed_body = true});
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send(
        upload_head(100'000) + std::string(100'000, 'a') +
        upload_head(70'000, "Connection: close\r\n") + std::string(70'000, 'b')
    );
    const auto replies = connection.read_until_closed(5s);
    EXPECT_EQ(count(replies, "HTTP/1.1 200"), 2U) << replies;
    EXPECT_NE(replies.find("\"bytes\":100000"), std::string::npos);
    EXPECT_NE(replies.find("\"bytes\":70000"), std::string::npos);
}

TEST(HttpStreaming, ClosesTheConnectionWhenTheHandlerLeavesTheBodyUnread) {
    auto router = base_router();
    router.post(
        "/upload",
        [](const Request& request) {
            (void)request.body_reader->read_some();  // looks at the start, then answers
            return json_response(status::kUnprocessableEntity, {{"error", "not an SDF file"}});
        },
        {.streamed_body = true}
    );
    TestServer server(router);
    RawConnection connection(server.port());
    connection.send(upload_head(400'000) + std::string(400'000, 'z'));
    connection.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 422", 0), 0U) << head_of(reply);
    EXPECT_NE(head_of(reply).find("Connection: close"), std::string::npos);
    EXPECT_EQ(count(reply, "HTTP/1.1"), 1U) << "the rest of the body is not taken for a request";
}

}  // namespace
}  // namespace molvault::http
