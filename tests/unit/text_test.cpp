#include "common/text.hpp"

#include <gtest/gtest.h>

namespace molvault {
namespace {

TEST(Text, TrimsAsciiWhitespaceAtBothEndsOnly) {
    EXPECT_EQ(trim_ascii_whitespace("  CCO\t\r\n"), "CCO");
    EXPECT_EQ(trim_ascii_whitespace("\f\vC C\v"), "C C");
    EXPECT_EQ(trim_ascii_whitespace("CCO"), "CCO");
    EXPECT_EQ(trim_ascii_whitespace(" \t\r\n\f\v"), "");
    EXPECT_EQ(trim_ascii_whitespace(""), "");
    // U+00A0 (no-break space) is not ASCII whitespace: kept.
    EXPECT_EQ(
        trim_ascii_whitespace("\xC2\xA0"
                              "C "),
        "\xC2\xA0"
        "C"
    );
}

}  // namespace
}  // namespace molvault
