#include "auth/password_policy.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "auth/common_passwords.hpp"
#include "common/text.hpp"

// How the rules read a password:
// - It must be valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). Invalid
//   UTF-8 is reported alone: the other rules cannot be judged on bytes that are not text.
// - Lengths count Unicode code points, so "é" or "😀" is one character however many bytes.
// - Upper-case, lower-case and digit mean the ASCII classes A-Z, a-z and 0-9: without ICU we have
//   no trustworthy Unicode case tables, and ASCII is what every keyboard can type.
// - A special character is any code point that is not an ASCII letter or digit, not whitespace
//   and not a control character: punctuation, symbols, and every non-ASCII letter ("ß", "é",
//   "中") or emoji. Spaces are allowed (passphrases) but do not count as special, so a trailing
//   space cannot satisfy the rule invisibly.
// - Control characters (C0, DEL, C1) are refused: they cannot be typed into a form, and a NUL
//   would cut the password short in C libraries.
// - The common-password and email comparisons are ASCII-case-insensitive (the list is ASCII).
//   They look at the password's cores as well as the whole password: the password without its
//   leading and trailing symbols, and without its leading and trailing digits and symbols too,
//   so "Password1!" is "password1" and "password", and "!!Qwerty2024" is "qwerty". No entry of
//   John's list meets the other rules, so the whole password alone would never match one.

namespace molvault::auth {
namespace {

constexpr std::size_t kMinLength = 8;
constexpr std::size_t kMaxLength = 128;
constexpr std::string_view kCommentPrefix = "#!comment";

bool is_upper(char32_t c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char32_t c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_special(char32_t c) {
    return !is_upper(c) && !is_lower(c) && !is_digit(c) && !is_unicode_space(c) && !is_control(c);
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_letter_or_digit(char c) { return is_ascii_letter(c) || (c >= '0' && c <= '9'); }

// `text` without the leading and trailing bytes for which `keep` is false. Bytes of a UTF-8
// sequence are all >= 0x80 and never kept, so only whole characters are removed.
std::string_view trim_to(std::string_view text, bool (*keep)(char)) {
    while (!text.empty() && !keep(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && !keep(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// The forms of a lower-cased password compared with the common list and the email's local part:
// itself, its core without outer symbols, and its core without outer digits and symbols. Empty
// cores are left out.
std::vector<std::string_view> forms_of(std::string_view lowered) {
    std::vector<std::string_view> forms = {lowered};
    for (const auto core :
         {trim_to(lowered, is_ascii_letter_or_digit), trim_to(lowered, is_ascii_letter)}) {
        if (!core.empty() && std::find(forms.begin(), forms.end(), core) == forms.end()) {
            forms.push_back(core);
        }
    }
    return forms;
}

std::unordered_set<std::string> parse_common_passwords(std::string_view list) {
    std::unordered_set<std::string> words;
    while (!list.empty()) {
        const auto newline = list.find('\n');
        const auto line = list.substr(0, newline);
        list = newline == std::string_view::npos ? std::string_view{} : list.substr(newline + 1);
        if (!line.empty() && !line.starts_with(kCommentPrefix)) {
            words.insert(ascii_lower(line));
        }
    }
    return words;
}

}  // namespace

PasswordPolicy::PasswordPolicy() : common_(parse_common_passwords(embedded_common_passwords())) {}

PasswordPolicy::PasswordPolicy(std::unordered_set<std::string> common)
    : common_(std::move(common)) {}

std::vector<std::string> PasswordPolicy::check(std::string_view password, std::string_view email)
    const {
    const auto code_points = decode_utf8(password);
    if (!code_points) {
        return {"Password must be valid UTF-8 text"};
    }
    const auto has = [&code_points](bool (*predicate)(char32_t)) {
        return std::any_of(code_points->begin(), code_points->end(), predicate);
    };

    std::vector<std::string> problems;
    if (code_points->size() < kMinLength) {
        problems.push_back(fmt::format("Password must be at least {} characters", kMinLength));
    }
    if (code_points->size() > kMaxLength) {
        problems.push_back(fmt::format("Password must be at most {} characters", kMaxLength));
    }
    if (!has(is_upper)) {
        problems.emplace_back("Password must contain an upper-case letter (A-Z)");
    }
    if (!has(is_lower)) {
        problems.emplace_back("Password must contain a lower-case letter (a-z)");
    }
    if (!has(is_digit)) {
        problems.emplace_back("Password must contain a digit");
    }
    if (!has(is_special)) {
        problems.emplace_back(
            "Password must contain a special character (anything but a letter, digit or space)"
        );
    }
    if (has(is_control)) {
        problems.emplace_back("Password must not contain control characters");
    }

    const std::string lowered = ascii_lower(password);
    const auto forms = forms_of(lowered);
    if (std::any_of(forms.begin(), forms.end(), [this](std::string_view form) {
            return common_.contains(std::string(form));
        })) {
        problems.emplace_back("Password is too common");
    }
    if (!email.empty()) {
        const std::string lowered_email = ascii_lower(email);
        const auto at = lowered_email.rfind('@');
        const auto local_forms = at != std::string::npos && at > 0
                                     ? forms_of(std::string_view(lowered_email).substr(0, at))
                                     : std::vector<std::string_view>{};
        const bool is_local_part =
            std::any_of(forms.begin(), forms.end(), [&local_forms](std::string_view form) {
                return std::find(local_forms.begin(), local_forms.end(), form) != local_forms.end();
            });
        if (lowered == lowered_email || is_local_part) {
            problems.emplace_back("Password must not be your email address");
        }
    }
    return problems;
}

}  // namespace molvault::auth
