#include <gtest/gtest.h>

#include "common/log.hpp"

namespace molvault::log {
namespace {

TEST(LogRedaction, RecognisesSecretKeys) {
    for (const char* key :
         {"password",
          "new_password",
          "hashed_password",
          "access_token",
          "refresh_token",
          "Authorization",
          "cookie",
          "Set-Cookie",
          "jwt_secret_key",
          "csrf_token",
          "totp_secret"}) {
        SCOPED_TRACE(key);
        EXPECT_TRUE(is_secret_key(key));
    }
    for (const char* key : {"email", "user_id", "route", "status", "inchikey", "request_id"}) {
        SCOPED_TRACE(key);
        EXPECT_FALSE(is_secret_key(key));
    }
}

TEST(LogRedaction, ReplacesSecretValuesAtAnyDepth) {
    const auto redacted = redact({
        {"user", "ada@example.com"},
        {"password", "Tr0ub4dor&3"},
        {"headers", {{"Authorization", "Bearer abc.def.ghi"}, {"Accept", "*/*"}}},
        {"list", {{{"refresh_token", "r1"}}}},
    });
    const auto text = redacted.dump();
    EXPECT_EQ(text.find("Tr0ub4dor"), std::string::npos);
    EXPECT_EQ(text.find("abc.def.ghi"), std::string::npos);
    EXPECT_EQ(text.find("r1"), std::string::npos);
    EXPECT_EQ(redacted["user"], "ada@example.com");
    EXPECT_EQ(redacted["headers"]["Accept"], "*/*");
}

}  // namespace
}  // namespace molvault::log
