#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "http/json.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"

namespace molvault::http {
namespace {

Request make_request(std::string method, std::string target) {
    Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
        request.query = request.target.substr(question + 1);
    }
    request.request_id = "test-request";
    return request;
}

Response text(std::string body) {
    Response response;
    response.body = std::move(body);
    return response;
}

class RouterTest : public testing::Test {
protected:
    void SetUp() override {
        router_.use(catch_all());
        router_.get("/api/v1/projects/{project_id}", [](const Request& req) {
            return text("project " + req.path_param("project_id"));
        });
        router_.get("/api/v1/projects/mine", [](const Request&) { return text("mine"); });
        router_.del("/api/v1/projects/{project_id}", [](const Request&) {
            return text("deleted");
        });
        router_.post("/api/v1/fail", [](const Request&) -> Response {
            throw validation_error("name", "must not be empty");
        });
        router_.get("/api/v1/crash", [](const Request&) -> Response {
            throw std::runtime_error("SELECT secret FROM users");
        });
    }
    Router router_;
};

TEST_F(RouterTest, ExtractsAndDecodesPathParameters) {
    auto request = make_request("GET", "/api/v1/projects/a%20b");
    const auto response = router_.handle(request);
    EXPECT_EQ(response.body, "project a b");
    EXPECT_EQ(request.route, "/api/v1/projects/{project_id}");
}

TEST_F(RouterTest, PrefersLiteralSegmentsOverParameters) {
    auto request = make_request("GET", "/api/v1/projects/mine");
    EXPECT_EQ(router_.handle(request).body, "mine");
}

TEST_F(RouterTest, AnswersNotFoundForUnknownPaths) {
    auto request = make_request("GET", "/nope");
    const auto response = router_.handle(request);
    EXPECT_EQ(response.status, status::kNotFound);
    EXPECT_EQ(response.headers.get("Content-Type"), "application/problem+json");
}

TEST_F(RouterTest, AnswersMethodNotAllowedWithAllow) {
    auto request = make_request("PUT", "/api/v1/projects/7");
    const auto response = router_.handle(request);
    EXPECT_EQ(response.status, status::kMethodNotAllowed);
    EXPECT_EQ(response.headers.get("Allow"), "DELETE, GET, HEAD");
}

TEST_F(RouterTest, ServesHeadWithTheGetHandler) {
    auto request = make_request("HEAD", "/api/v1/projects/7");
    EXPECT_EQ(router_.handle(request).status, status::kOk);
}

TEST_F(RouterTest, TurnsValidationErrorsIntoProblemDetails) {
    auto request = make_request("POST", "/api/v1/fail");
    const auto response = router_.handle(request);
    EXPECT_EQ(response.status, status::kUnprocessableEntity);
    const auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["errors"][0]["field"], "name");
    EXPECT_EQ(body["request_id"], "test-request");
}

TEST_F(RouterTest, HidesUnexpectedExceptionsBehindAGeneric500) {
    auto request = make_request("GET", "/api/v1/crash");
    const auto response = router_.handle(request);
    EXPECT_EQ(response.status, status::kInternalServerError);
    EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
    EXPECT_NE(response.body.find("test-request"), std::string::npos);
}

TEST(RouterTable, RejectsDuplicateRoutes) {
    Router router;
    router.get("/a/{x}", [](const Request&) { return Response{}; });
    EXPECT_THROW(router.get("/a/{y}", [](const Request&) { return Response{}; }), std::logic_error);
}

TEST(JsonBody, DistinguishesMediaTypeSyntaxAndShapeErrors) {
    auto request = make_request("POST", "/");
    request.body = "{\"a\": 1}";
    EXPECT_THROW(
        {
            try {
                (void)parse_json_object(request);
            } catch (const Error& e) {
                EXPECT_EQ(e.code(), ErrorCode::kUnsupportedMediaType);
                throw;
            }
        },
        Error
    );
    request.headers.set("Content-Type", "application/json; charset=utf-8");
    EXPECT_EQ(parse_json_object(request)["a"], 1);
    request.body = "{\"a\": ";
    try {
        (void)parse_json_object(request);
        FAIL() << "malformed JSON accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kBadRequest);
    }
    request.body = "[1, 2]";
    try {
        (void)parse_json_object(request);
        FAIL() << "array accepted as an object";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kValidation);
    }
}

TEST(QueryParameters, AreDecoded) {
    const auto request = make_request("GET", "/x?smiles=C%28%3DO%29O&name=a+b&flag");
    EXPECT_EQ(request.query_param("smiles"), "C(=O)O");
    EXPECT_EQ(request.query_param("name"), "a b");
    EXPECT_EQ(request.query_param("flag"), "");
    EXPECT_FALSE(request.query_param("missing"));
}

TEST(RequestId, KeepsAWellFormedIdAndReplacesABadOne) {
    auto request = make_request("GET", "/");
    request.headers.set("X-Request-ID", "abc-123_x.y");
    assign_request_id(request);
    EXPECT_EQ(request.request_id, "abc-123_x.y");
    request.headers.set("X-Request-ID", "bad id\r\ninjected: 1");
    assign_request_id(request);
    EXPECT_EQ(request.request_id.size(), 32U);
    EXPECT_EQ(request.request_id.find(' '), std::string::npos);
}

TEST(Router, ReportsTheOptionsOfTheRouteARequestWouldReach) {
    Router router;
    router.post(
        "/api/v1/projects/{project_id}/import",
        [](const Request&) { return text("imported"); },
        {.max_body_bytes = 4096, .streamed_body = true}
    );
    router.get("/api/v1/projects/{project_id}/import", [](const Request&) { return text("x"); });

    const auto upload = router.options_for("POST", "/api/v1/projects/p1/import");
    EXPECT_TRUE(upload.streamed_body);
    EXPECT_EQ(upload.max_body_bytes, 4096U);
    EXPECT_FALSE(router.options_for("GET", "/api/v1/projects/p1/import").streamed_body);
    EXPECT_FALSE(router.options_for("HEAD", "/api/v1/projects/p1/import").streamed_body);
    const auto unknown = router.options_for("POST", "/api/v1/elsewhere");
    EXPECT_FALSE(unknown.streamed_body);
    EXPECT_FALSE(unknown.max_body_bytes) << "no route: the server-wide limit applies";
}

}  // namespace
}  // namespace molvault::http
