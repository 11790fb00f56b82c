// The shared list conventions: limit and cursor parsing, and the page body.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "http/paging.hpp"

namespace molvault::http {
namespace {

Request with_query(std::string query) {
    Request request;
    request.method = "GET";
    request.path = "/api/v1/things";
    request.query = std::move(query);
    return request;
}

// The field named by the 422 that page_request throws for `query`, or "" if it does not throw.
std::string refused_field(const std::string& query) {
    try {
        (void)page_request(with_query(query));
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::kValidation);
        return error.fields().empty() ? "?" : error.fields().front().field;
    }
    return "";
}

TEST(PageRequest, DefaultsToFiftyFromTheStart) {
    const auto page = page_request(with_query(""));
    EXPECT_EQ(page.limit, 50U);
    EXPECT_FALSE(page.position);
}

TEST(PageRequest, AcceptsLimitsFromOneToTwoHundred) {
    EXPECT_EQ(page_request(with_query("limit=1")).limit, 1U);
    EXPECT_EQ(page_request(with_query("limit=200")).limit, 200U);
}

TEST(PageRequest, RefusesEveryOtherLimit) {
    for (const std::string limit : {"0", "201", "-1", "+5", " 5", "5 ", "abc", "", "1e2", "0x10"}) {
        SCOPED_TRACE(limit);
        EXPECT_EQ(refused_field("limit=" + limit), "limit");
    }
}

TEST(PageRequest, RoundTripsACursorAndRefusesOthers) {
    const std::string position = "2026-01-01T00:00:00.000000Z,0b7c6a52-9d1e-4f3a-8c2b-5e4d3c2b1a09";
    const auto cursor = encode_cursor(position);
    EXPECT_EQ(cursor.find_first_of("+/="), std::string::npos) << "URL-safe, unpadded";
    EXPECT_EQ(page_request(with_query("cursor=" + cursor)).position, position);
    EXPECT_EQ(decode_cursor(cursor), position);
    EXPECT_EQ(decode_cursor("!!!"), std::nullopt);
    const std::vector<std::string> bad_cursors = {
        "", "!!!", "a", cursor + "=", std::string(513, 'A')};
    for (const auto& bad : bad_cursors) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(refused_field("cursor=" + bad), "cursor");
    }
}

TEST(PageResponse, HasItemsAndANullCursorOnTheLastPage) {
    const auto last = page_response(nlohmann::json::array({1, 2}), std::nullopt);
    EXPECT_EQ(last.status, status::kOk);
    EXPECT_EQ(
        nlohmann::json::parse(last.body),
        (nlohmann::json{{"items", {1, 2}}, {"next_cursor", nullptr}})
    );
    const auto more = page_response(nlohmann::json::array(), std::string("p"));
    EXPECT_EQ(nlohmann::json::parse(more.body)["next_cursor"], encode_cursor("p"));
}

}  // namespace
}  // namespace molvault::http
