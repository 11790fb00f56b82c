#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/password_policy.hpp"

namespace molvault::auth {
namespace {

constexpr const char* kEmail = "Ada.Lovelace@Example.org";
constexpr const char* kGoodPassword = "Tr0ub4dor&3x";

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
    return std::any_of(problems.begin(), problems.end(), [text](const std::string& p) {
        return p.find(text) != std::string::npos;
    });
}

std::string join(const std::vector<std::string>& problems) {
    std::string out;
    for (const auto& p : problems) {
        out += p + "; ";
    }
    return out;
}

struct BrokenRuleCase {
    std::string name;
    std::string password;
    std::string expected_problem;
};

TEST(PasswordPolicy, AcceptsAPasswordThatKeepsEveryRule) {
    const PasswordPolicy policy;
    const auto problems = policy.check(kGoodPassword, kEmail);
    EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(PasswordPolicy, ReportsEachBrokenRuleOnItsOwn) {
    // Each password breaks exactly one rule, so the problem list has exactly one entry.
    const std::vector<BrokenRuleCase> cases = {
        {"too short", "Ab1!xyz", "at least 8 characters"},
        {"too long", "Ab1!" + std::string(125, 'x'), "at most 128 characters"},
        {"no upper-case letter", "tr0ub4dor&3x", "upper-case letter"},
        {"no lower-case letter", "TR0UB4DOR&3X", "lower-case letter"},
        {"no digit", "Troubador&xx", "digit"},
        {"no special character", "Tr0ub4dor33x", "special character"},
        {"only a space as special", "Tr0ub4dor 3x", "special character"},
        {"control character", "Tr0ub4dor&3x\t", "control characters"},
        {"common password", "Corr3ct-Horse", "too common"},
        {"the email address", "ada.lovelace1!@EXAMPLE.org", "email address"},
        {"the local part of the email", "ADA.lovelace1!", "email address"},
    };
    const PasswordPolicy policy({"corr3ct-horse"});
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string email =
            c.name.find("email") != std::string::npos ? "Ada.Lovelace1!@example.org" : kEmail;
        const auto problems = policy.check(c.password, email);
        ASSERT_EQ(problems.size(), 1U) << join(problems);
        EXPECT_TRUE(mentions(problems, c.expected_problem)) << problems.front();
    }
}

TEST(PasswordPolicy, AcceptsExactlyTheBoundaryLengths) {
    const PasswordPolicy policy;
    EXPECT_TRUE(policy.check("Ab1!wxyz", kEmail).empty());
    EXPECT_TRUE(policy.check("Ab1!" + std::string(124, 'x'), kEmail).empty());
}

TEST(PasswordPolicy, CountsAMultibyteCharacterAsOne) {
    const PasswordPolicy policy;
    // 7 code points in 10 bytes: too short although the byte count is 10.
    const std::string seven = "Ab1!\xC3\xA9\xC3\xA9\xE2\x82\xAC";  // Ab1!éé€
    EXPECT_TRUE(mentions(policy.check(seven, kEmail), "at least 8 characters"));
    // 128 code points in 256 bytes: not too long.
    std::string at_limit = "Ab1!";
    for (int i = 0; i < 124; ++i) {
        at_limit += "\xC3\xA9";  // é
    }
    const auto problems = policy.check(at_limit, kEmail);
    EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(PasswordPolicy, CountsANonAsciiLetterAsSpecial) {
    const PasswordPolicy policy;
    const auto problems = policy.check(
        "Stra\xC3\x9F"
        "e12a",
        kEmail
    );  // Straße12a
    EXPECT_TRUE(problems.empty()) << join(problems);
}

TEST(PasswordPolicy, RefusesInvalidUtf8AsOneProblem) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"lone continuation byte", "Tr0ub4dor&3x\x80"},
        {"truncated sequence", "Tr0ub4dor&3x\xE2\x82"},
        {"overlong slash", "Tr0ub4dor&3x\xC0\xAF"},
        {"UTF-16 surrogate", "Tr0ub4dor&3x\xED\xA0\x80"},
        {"above U+10FFFF", "Tr0ub4dor&3x\xF4\x90\x80\x80"},
        {"invalid lead byte", "Tr0ub4dor&3x\xFF"},
    };
    const PasswordPolicy policy;
    for (const auto& [name, password] : cases) {
        SCOPED_TRACE(name);
        const auto problems = policy.check(password, kEmail);
        ASSERT_EQ(problems.size(), 1U) << join(problems);
        EXPECT_TRUE(mentions(problems, "UTF-8"));
    }
}

TEST(PasswordPolicy, EmbedsJohnTheRipperListWithoutItsComments) {
    const PasswordPolicy policy;
    // john-data 1.9.0: 3,545 passwords, 3,410 once lower-cased ("Password" and "password"...).
    EXPECT_GT(policy.common_password_count(), 3000U);
    EXPECT_LT(policy.common_password_count(), 4000U);
    // "#!comment:" is a whole line of the file, and must not have become a password.
    EXPECT_FALSE(mentions(policy.check("#!comment:", kEmail), "too common"));
}

TEST(PasswordPolicy, RefusesListedPasswordsWhateverTheirCase) {
    // The embedded list has no entry that meets the other rules, so these break some of them
    // too; what matters is that "too common" is among the problems.
    const PasswordPolicy policy;
    for (const std::string password : {"Password1", "PASSWORD1", "iloveyou!", "!@#$%^&*"}) {
        SCOPED_TRACE(password);
        EXPECT_TRUE(mentions(policy.check(password, kEmail), "too common"));
    }
}

TEST(PasswordPolicy, RefusesACommonPasswordDressedUpWithDigitsAndSymbols) {
    // Each keeps every other rule; its letters are a word on John's list.
    const PasswordPolicy policy;
    for (const std::string password :
         {"Password1!", "!!Qwerty2024", "Iloveyou#1", "2024-Dragon!", "Letmein99?", "Monkey123$"}) {
        SCOPED_TRACE(password);
        const auto problems = policy.check(password, kEmail);
        ASSERT_EQ(problems.size(), 1U) << join(problems);
        EXPECT_EQ(problems.front(), "Password is too common");
    }
}

TEST(PasswordPolicy, KeepsAPasswordThatOnlyContainsACommonWord) {
    // The core is stripped at its ends only: a listed word inside a longer core is fine.
    const PasswordPolicy policy;
    for (const std::string password : {"Horse-Battery-9!", "1Dragon-Fly-Net!", "Qwerty&Staple7"}) {
        SCOPED_TRACE(password);
        const auto problems = policy.check(password, kEmail);
        EXPECT_TRUE(problems.empty()) << join(problems);
    }
}

TEST(PasswordPolicy, RefusesTheEmailLocalPartDressedUpWithDigitsAndSymbols) {
    const PasswordPolicy policy;
    for (const std::string password : {"Ada.Lovelace2024!", "#1Ada.Lovelace", "ADA.lovelace99$"}) {
        SCOPED_TRACE(password);
        const auto problems = policy.check(password, kEmail);
        ASSERT_EQ(problems.size(), 1U) << join(problems);
        EXPECT_EQ(problems.front(), "Password must not be your email address");
    }
    // The local part's own digits are decoration too.
    const auto problems = policy.check("Grace.Hopper!7", "grace.hopper1906@example.org");
    ASSERT_EQ(problems.size(), 1U) << join(problems);
    EXPECT_TRUE(mentions(problems, "email address"));
}

TEST(PasswordPolicy, ReportsEveryBrokenRuleAtOnce) {
    const PasswordPolicy policy;
    const auto problems = policy.check("abc", kEmail);
    EXPECT_TRUE(mentions(problems, "at least 8 characters"));
    EXPECT_TRUE(mentions(problems, "upper-case letter"));
    EXPECT_TRUE(mentions(problems, "digit"));
    EXPECT_TRUE(mentions(problems, "special character"));
    EXPECT_TRUE(mentions(problems, "too common"));  // "abc" is on John's list
}

}  // namespace
}  // namespace molvault::auth
