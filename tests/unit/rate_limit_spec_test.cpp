#include "config/rate_limit_spec.hpp"

#include <gtest/gtest.h>

namespace molvault::config {
namespace {

using namespace std::chrono_literals;

struct GoodSpec {
    const char* text;
    RateLimitSpec expected;
};

TEST(RateLimitSpec, ParsesEachUnitAndSecondCounts) {
    const std::vector<GoodSpec> cases = {
        {"5/minute", {5, 60s}},
        {"3/hour", {3, 3600s}},
        {"10/second", {10, 1s}},
        {"1000/day", {1000, 86400s}},
        {"5/2s", {5, 2s}},
        {"1/86400s", {1, 86400s}},
        {"6000/minute", {6000, 60s}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto spec = parse_rate_limit_spec(c.text);
        ASSERT_TRUE(spec) << spec.error();
        EXPECT_EQ(*spec, c.expected);
    }
}

TEST(RateLimitSpec, RefusesMalformedSpecs) {
    for (const auto* text :
         {"",
          "5",
          "/minute",
          "5/",
          "0/minute",
          "-1/minute",
          "five/minute",
          "5/minutes",
          "5/Minute",
          "5/0s",
          "5/s",
          "5/2",
          "5/2m",
          "5/86401s",
          "5 /minute",
          "5/minute ",
          "1000000001/second",
          "99999999999999999999/second",
          "5/-2s"}) {
        SCOPED_TRACE(text);
        const auto spec = parse_rate_limit_spec(text);
        EXPECT_FALSE(spec);
        if (!spec) {
            EXPECT_NE(spec.error().find("expected N/second"), std::string::npos);
        }
    }
}

}  // namespace
}  // namespace molvault::config
