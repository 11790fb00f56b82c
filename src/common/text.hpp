#pragma once
// Unicode text helpers shared by every rule that counts characters or refuses control
// characters (password policy, project and molecule names). Strict UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF). No ICU: case folding is ASCII only, and there
// is no normalization (NFC and NFD spellings of one letter stay different strings).
// Pure functions; thread-safe; nothing throws except std::bad_alloc.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace molvault {

// The code points of `text`; std::nullopt when it is not valid UTF-8.
[[nodiscard]] std::optional<std::u32string> decode_utf8(std::string_view text);
// The UTF-8 encoding of `code_points` (each must be a valid scalar value).
[[nodiscard]] std::string encode_utf8(std::u32string_view code_points);

// C0 controls (U+0000..U+001F), DEL and the C1 controls (U+0080..U+009F): Unicode's Cc.
[[nodiscard]] bool is_control(char32_t c);
// Unicode White_Space, less the controls (tab, newline...) which is_control covers.
[[nodiscard]] bool is_unicode_space(char32_t c);

// `text` with A-Z mapped to a-z; every other byte unchanged.
[[nodiscard]] std::string ascii_lower(std::string_view text);

// ASCII whitespace (space, tab, CR, LF, FF, VT): RDKit reads a SMILES up to the first of these.
inline constexpr std::string_view kAsciiWhitespace = " \t\r\n\f\v";
// `text` without ASCII whitespace at either end ("" when it is all whitespace).
[[nodiscard]] std::string_view trim_ascii_whitespace(std::string_view text);

// A one-line label (a project or molecule name) as stored: `raw` trimmed of Unicode spaces at
// both ends. `problem` is empty when the label is acceptable, else why not (for a field error):
// not UTF-8, empty after trimming, more than `max_length` code points, or a control character.
struct CheckedLabel {
    std::string text;
    std::string problem;
};
[[nodiscard]] CheckedLabel check_label(std::string_view raw, std::size_t max_length);

// Empty when `text` is acceptable free text (a description, a property value): valid UTF-8, at
// most `max_length` code points, no control characters except tab, line feed and carriage
// return. Otherwise why not, for a field error.
[[nodiscard]] std::string check_free_text(std::string_view text, std::size_t max_length);

}  // namespace molvault
