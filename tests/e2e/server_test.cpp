// End-to-end tests of the HTTP chassis: the real binary, over real sockets.
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_services.hpp"

namespace molvault::test {
namespace {

using namespace std::chrono_literals;

TEST(HttpServer, HealthAnswersOkWithEverySecurityHeader) {
    MolvaultProcess server;
    HttpClient client(server.port());
    const auto response = client.get("/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json()["status"], "ok");
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(response.header("X-XSS-Protection"), "1; mode=block");
    EXPECT_EQ(response.header("Referrer-Policy"), "strict-origin-when-cross-origin");
    EXPECT_NE(
        response.header("Content-Security-Policy").value_or("").find("default-src 'none'"),
        std::string::npos
    );
    EXPECT_FALSE(response.header("Strict-Transport-Security")) << "HSTS only in production";
    EXPECT_EQ(response.header("X-Request-ID").value_or("").size(), 32U);
}

TEST(HttpServer, SendsHstsInProduction) {
    MolvaultProcess server(EnvMap{
        {"ENV", "production"},
        {"COOKIE_SECURE", "true"},
        {"JWT_SECRET_KEY", "Zt7qLw2mXv9pRk4sNc8bHy3jFd6gTa1uEo5iWx0zQ_-K"},
        {"PASSWORD_PEPPER", "Rb3nVx8qLm1wKz6tHc9yPd2sJf5gUa0eNo4iTx7zQ_-W"},
        {"BCRYPT_ROUNDS", "12"},
        {"RATE_LIMIT_ENABLED", "true"},
    });
    HttpClient client(server.port());
    const auto health = client.get("/health");
    EXPECT_EQ(health.header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
    EXPECT_EQ(
        client.get("/nowhere").header("Strict-Transport-Security"),
        "max-age=31536000; includeSubDomains"
    );
}

TEST(HttpServer, EchoesAWellFormedRequestId) {
    MolvaultProcess server;
    HttpClient client(server.port());
    const auto response = client.get("/health", {{"X-Request-ID", "trace-42.a_b"}});
    EXPECT_EQ(response.header("X-Request-ID"), "trace-42.a_b");
    EXPECT_NE(server.log().find("\"request_id\":\"trace-42.a_b\""), std::string::npos);
}

TEST(HttpServer, AnswersNotFoundAndMethodNotAllowedAsProblemJson) {
    MolvaultProcess server;
    HttpClient client(server.port());
    const auto missing = client.get("/api/v1/nothing-here");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(missing.json()["status"], 404);
    const auto wrong_method = client.request("DELETE", "/health");
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(wrong_method.header("Allow"), "GET, HEAD");
    EXPECT_EQ(wrong_method.header("X-Frame-Options"), "DENY");
}

TEST(HttpServer, RefusesAnOversizedBodyWith413) {
    MolvaultProcess server(EnvMap{{"HTTP_MAX_BODY_BYTES", "2048"}});
    HttpClient client(server.port());
    const auto response =
        client.request("POST", "/health", std::string(4096, 'x'), {{"Content-Type", "text/plain"}});
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    HttpClient fresh(server.port());
    EXPECT_NE(
        fresh.get("/metrics").body.find("route=\"unrouted\",status=\"413\"} 1"), std::string::npos
    ) << "responses the server makes itself are counted too";
}

TEST(HttpServer, RefusesOversizedHeadersWith431) {
    MolvaultProcess server(EnvMap{{"HTTP_MAX_HEADER_BYTES", "4096"}});
    HttpClient client(server.port());
    const auto response = client.get("/health", {{"X-Padding", std::string(8192, 'p')}});
    EXPECT_EQ(response.status, 431);
    EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
}

TEST(HttpServer, AnswersMalformedHttpWith400) {
    MolvaultProcess server;
    RawConnection connection(server.port());
    connection.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n");
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0U) << reply;
}

TEST(HttpServer, KeepsTheConnectionAliveBetweenRequests) {
    MolvaultProcess server;
    RawConnection connection(server.port());
    const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_TRUE(connection.send(request));
    EXPECT_FALSE(connection.closed_within(300ms));
    ASSERT_TRUE(connection.send(request));
    connection.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto replies = connection.read_until_closed(5s);
    std::size_t count = 0;
    for (auto at = replies.find("HTTP/1.1 200"); at != std::string::npos;
         at = replies.find("HTTP/1.1 200", at + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 2U) << replies;
}

TEST(HttpServer, CutsOffASlowLorisClient) {
    MolvaultProcess server(EnvMap{{"HTTP_HEADER_TIMEOUT_MS", "500"}});
    RawConnection connection(server.port());
    connection.send("GET /health HTTP/1.1\r\n");
    const auto start = std::chrono::steady_clock::now();
    bool closed = false;
    for (int i = 0; i < 40 && !closed; ++i) {  // one header byte every 100 ms
        closed = !connection.send("X") || connection.closed_within(100ms);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    HttpClient client(server.port());
    EXPECT_EQ(client.get("/health").status, 200) << "the server still serves others";
}

TEST(HttpServer, ClosesAnIdleKeepAliveConnection) {
    MolvaultProcess server(EnvMap{{"HTTP_IDLE_TIMEOUT_MS", "400"}});
    RawConnection connection(server.port());
    connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(connection.closed_within(3s));
}

TEST(HttpServer, FinishesAnInFlightRequestOnSigterm) {
    MolvaultProcess server;
    auto slow = std::async(std::launch::async, [port = server.port()] {
        HttpClient client(port);
        return client.get("/__test/sleep?ms=1500");
    });
    std::this_thread::sleep_for(400ms);
    server.send_signal(SIGTERM);
    const auto response = slow.get();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.json()["slept_ms"], 1500);
    EXPECT_EQ(response.header("Connection"), "close");
    EXPECT_EQ(server.wait_for_exit(10s), 0);
    EXPECT_NE(server.log().find("shutdown_complete"), std::string::npos);
}

TEST(HttpServer, AnswersServiceUnavailableWhenTheWorkerQueueIsFull) {
    MolvaultProcess server(EnvMap{{"HTTP_WORKERS", "1"}, {"HTTP_WORKER_QUEUE", "1"}});
    std::vector<std::future<HttpResponse>> requests;
    for (int i = 0; i < 4; ++i) {
        requests.push_back(std::async(std::launch::async, [port = server.port()] {
            HttpClient client(port);
            return client.get("/__test/sleep?ms=800");
        }));
        std::this_thread::sleep_for(50ms);
    }
    int ok = 0;
    int unavailable = 0;
    for (auto& request : requests) {
        const auto response = request.get();
        if (response.status == 200) {
            ++ok;
        } else if (response.status == 503) {
            ++unavailable;
            EXPECT_EQ(response.header("Retry-After"), "1");
        }
    }
    EXPECT_EQ(ok, 2);
    EXPECT_EQ(unavailable, 2);
}

TEST(HttpServer, AllowsListedCorsOriginsWithCredentials) {
    MolvaultProcess server(EnvMap{
        {"ALLOWED_ORIGINS", "https://app.example.com,https://b.example.com"}});
    HttpClient client(server.port());
    const auto allowed = client.get("/health", {{"Origin", "https://app.example.com"}});
    EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), "https://app.example.com");
    EXPECT_EQ(allowed.header("Access-Control-Allow-Credentials"), "true");
    EXPECT_EQ(allowed.header("Vary"), "Origin");

    const auto preflight = client.request(
        "OPTIONS",
        "/api/v1/auth/login",
        "",
        {{"Origin", "https://b.example.com"},
         {"Access-Control-Request-Method", "POST"},
         {"Access-Control-Request-Headers", "content-type"}}
    );
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://b.example.com");
    EXPECT_NE(
        preflight.header("Access-Control-Allow-Methods").value_or("").find("POST"),
        std::string::npos
    );
    EXPECT_NE(
        preflight.header("Access-Control-Allow-Headers").value_or("").find("X-CSRF-Token"),
        std::string::npos
    );
}

TEST(HttpServer, RefusesUnlistedCorsOrigins) {
    MolvaultProcess server(EnvMap{{"ALLOWED_ORIGINS", "https://app.example.com"}});
    HttpClient client(server.port());
    const auto simple = client.get("/health", {{"Origin", "https://evil.example.com"}});
    EXPECT_EQ(simple.status, 200);
    EXPECT_FALSE(simple.header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(simple.header("Access-Control-Allow-Credentials"));
    const auto lookalike = client.get("/health", {{"Origin", "https://app.example.com.evil.com"}});
    EXPECT_FALSE(lookalike.header("Access-Control-Allow-Origin"));
    const auto preflight = client.request(
        "OPTIONS",
        "/health",
        "",
        {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "DELETE"}}
    );
    EXPECT_EQ(preflight.status, 403);
    EXPECT_FALSE(preflight.header("Access-Control-Allow-Origin"));
}

TEST(HttpServer, ExposesPrometheusMetrics) {
    MolvaultProcess server;
    HttpClient client(server.port());
    client.get("/health");
    client.get("/health");
    client.get("/missing");
    const auto metrics = client.get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.header("Content-Type").value_or("").find("text/plain"), std::string::npos);
    const auto& text = metrics.body;
    EXPECT_NE(
        text.find("molvault_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2"
        ),
        std::string::npos
    ) << text;
    EXPECT_NE(text.find("route=\"unmatched\",status=\"404\"} 1"), std::string::npos);
    EXPECT_NE(
        text.find("molvault_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\""),
        std::string::npos
    );
    EXPECT_NE(text.find("molvault_http_requests_in_flight 1"), std::string::npos);
    EXPECT_NE(text.find("molvault_db_pool_size "), std::string::npos);
    EXPECT_NE(text.find("molvault_db_pool_in_use "), std::string::npos);
    EXPECT_NE(text.find("molvault_db_pool_waiting "), std::string::npos);
    EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
    EXPECT_NE(text.find("molvault_uptime_seconds "), std::string::npos);
}

TEST(HttpServer, ReadinessChecksTheDatabaseAndRedis) {
    {
        MolvaultProcess server(EnvMap{{"REDIS_URL", test_services().redis_url}});
        HttpClient client(server.port());
        // Readiness also waits for the search index, which loads (in milliseconds here) on its
        // own thread after the server starts listening.
        auto ready = client.get("/health/ready");
        for (int attempt = 0; ready.status != 200 && attempt < 100; ++attempt) {
            std::this_thread::sleep_for(50ms);
            ready = client.get("/health/ready");
        }
        EXPECT_EQ(ready.status, 200) << ready.body;
        EXPECT_EQ(ready.json()["checks"]["database"], "ok");
        EXPECT_EQ(ready.json()["checks"]["redis"], "ok");
    }
    {
        MolvaultProcess server(EnvMap{{"REDIS_URL", "redis://127.0.0.1:1"}});
        HttpClient client(server.port());
        const auto not_ready = client.get("/health/ready");
        EXPECT_EQ(not_ready.status, 503);
        EXPECT_EQ(not_ready.json()["checks"]["redis"], "unavailable");
        EXPECT_EQ(client.get("/health").status, 200) << "liveness does not depend on Redis";
    }
}

TEST(HttpServer, NeverLogsSecretsFromRequests) {
    const std::string jwt_secret = "log-leak-probe-jwt-secret-7c1e9a4b2f6d8e03";
    MolvaultProcess server(EnvMap{{"JWT_SECRET_KEY", jwt_secret}});
    HttpClient client(server.port());
    client.get(
        "/health?access_token=query-token-probe-111",
        {{"Authorization", "Bearer bearer-probe-222"}, {"Cookie", "refresh_token=cookie-probe-333"}}
    );
    client.request(
        "POST",
        "/api/v1/auth/login?password=query-password-probe-444",
        R"({"email":"a@b.c","password":"body-password-probe-555"})",
        {{"Content-Type", "application/json"}, {"X-CSRF-Token", "csrf-probe-666"}}
    );
    const auto log = server.log();
    ASSERT_NE(log.find("http_request"), std::string::npos) << "requests were logged at all";
    for (const char* secret :
         {"query-token-probe-111",
          "bearer-probe-222",
          "cookie-probe-333",
          "query-password-probe-444",
          "body-password-probe-555",
          "csrf-probe-666"}) {
        SCOPED_TRACE(secret);
        EXPECT_EQ(log.find(secret), std::string::npos);
    }
    EXPECT_EQ(log.find(jwt_secret), std::string::npos);
}

TEST(HttpServer, StreamsAResponseThroughTheMiddlewareAndLogsItsSize) {
    MolvaultProcess server;
    HttpClient client(server.port());
    const auto response = client.get("/__test/stream?chunks=64");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.body, std::string(64 * 32 * 1024, 'x'));
    const auto request_id = response.header("X-Request-ID").value_or("?");
    const auto log = server.log();
    EXPECT_NE(log.find("\"streamed\":true"), std::string::npos) << "access log marks it";
    const auto finished = log.find("http_stream_finished");
    ASSERT_NE(finished, std::string::npos);
    const auto line = log.substr(finished, log.find('\n', finished) - finished);
    EXPECT_NE(line.find(request_id), std::string::npos) << line;
    EXPECT_NE(line.find("\"bytes\":2097152"), std::string::npos) << line;
    EXPECT_NE(line.find("\"outcome\":\"complete\""), std::string::npos) << line;
}

// The upload test route streams its body and requires a signed-in caller, checked by the real
// authentication middleware and handler before any of the body is read.
TEST(HttpServer, RefusesAnAnonymousStreamedUploadWithoutReadingIt) {
    MolvaultProcess server;
    RawConnection connection(server.port());
    connection.send(
        "POST /__test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 400000000\r\n"
        "Expect: 100-continue\r\n\r\n"
    );
    const auto reply = connection.read_until_closed(5s);
    EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0U) << reply;
    EXPECT_EQ(reply.find("100 Continue"), std::string::npos);
}

TEST(HttpServer, TakesAStreamedUploadUpToTheImportLimit) {
    constexpr std::size_t kImportLimit = 8 * 1024 * 1024;
    MolvaultProcess server(EnvMap{
        {"IMPORT_MAX_BYTES", std::to_string(kImportLimit)}, {"HTTP_MAX_BODY_BYTES", "4096"}});
    HttpClient client(server.port());
    const auto registered = client.post_json(
        "/api/v1/auth/register", {{"email", "uploader@example.com"}, {"password", "Corr3ct-Horse!"}}
    );
    ASSERT_EQ(registered.status, 201) << registered.body;
    const auto signed_in = client.post_json(
        "/api/v1/auth/login", {{"email", "uploader@example.com"}, {"password", "Corr3ct-Horse!"}}
    );
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    const HeaderList bearer = {
        {"Authorization", "Bearer " + signed_in.json()["access_token"].get<std::string>()}};

    const auto accepted =
        client.request("POST", "/__test/upload", std::string(kImportLimit, 'u'), bearer);
    EXPECT_EQ(accepted.status, 200) << accepted.body;
    EXPECT_EQ(accepted.json()["bytes"], kImportLimit) << "HTTP_MAX_BODY_BYTES does not apply";
    EXPECT_LE(accepted.json()["peak_buffered_bytes"].get<std::size_t>(), 512U * 1024U);

    RawConnection over_limit(server.port());
    over_limit.send(
        "POST /__test/upload HTTP/1.1\r\nHost: x\r\n" + bearer.front().first + ": " +
        bearer.front().second + "\r\nContent-Length: " + std::to_string(kImportLimit + 1) +
        "\r\n\r\n"
    );
    const auto refused = over_limit.read_until_closed(5s);
    EXPECT_EQ(refused.rfind("HTTP/1.1 413", 0), 0U) << refused;
}

}  // namespace
}  // namespace molvault::test
