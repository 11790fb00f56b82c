#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "http/json.hpp"

namespace molvault::http {
namespace {

// The 422's single field error names `field`.
void expect_field_error(const std::function<void()>& call, const std::string& field) {
    try {
        call();
        ADD_FAILURE() << "no error for " << field;
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ErrorCode::kValidation);
        ASSERT_EQ(error.fields().size(), 1U);
        EXPECT_EQ(error.fields().front().field, field);
    }
}

TEST(JsonFields, IntegerFieldsAreIntegersWithinTheirRange) {
    const auto body = nlohmann::json::parse(
        R"({"low": 1, "high": 200, "negative": -3, "fraction": 1.5, "text": "5",
            "whole_float": 2.0, "huge": 18446744073709551615, "null": null})"
    );
    EXPECT_EQ(optional_integer_field(body, "absent", 1, 200), std::nullopt);
    EXPECT_EQ(optional_integer_field(body, "low", 1, 200), 1);
    EXPECT_EQ(optional_integer_field(body, "high", 1, 200), 200);
    EXPECT_EQ(optional_integer_field(body, "negative", -5, 5), -3);
    for (const char* field : {"fraction", "text", "whole_float", "huge", "null"}) {
        expect_field_error([&] { (void)optional_integer_field(body, field, 0, 1'000); }, field);
    }
    expect_field_error([&] { (void)optional_integer_field(body, "high", 1, 199); }, "high");
    expect_field_error([&] { (void)optional_integer_field(body, "negative", 0, 5); }, "negative");
}

TEST(JsonFields, NumberFieldsAreNumbersWithinTheirRange) {
    const auto body =
        nlohmann::json::parse(R"({"half": 0.5, "one": 1, "big": 1e300, "text": "0.5"})");
    EXPECT_EQ(optional_number_field(body, "absent", 0, 1), std::nullopt);
    EXPECT_DOUBLE_EQ(*optional_number_field(body, "half", 0, 1), 0.5);
    EXPECT_DOUBLE_EQ(*optional_number_field(body, "one", 0, 1), 1.0);
    expect_field_error([&] { (void)optional_number_field(body, "big", 0, 1); }, "big");
    expect_field_error([&] { (void)optional_number_field(body, "text", 0, 1); }, "text");
}

}  // namespace
}  // namespace molvault::http
