#pragma once
// The password rules of molvault: at least 8 and at most 128 characters (Unicode code points),
// at least one upper-case letter, one lower-case letter, one digit and one special character,
// not one of the common passwords shipped in the binary (John the Ripper's password.lst from
// Debian's john-data, embedded at build time), and not the email address (nor its local part);
// the last two also hold for the password's core, stripped of leading and trailing digits and
// symbols ("Password1!" is as common as "password").
// Immutable after construction; thread-safe.

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace molvault::auth {

class PasswordPolicy {
public:
    // Uses the embedded common-password list.
    PasswordPolicy();
    // Uses `common` (lower-cased entries) instead; for tests.
    explicit PasswordPolicy(std::unordered_set<std::string> common);

    // Every rule the password breaks, as client-safe sentences ("Password must contain a
    // digit"); empty when acceptable. Invalid UTF-8 is one problem of its own.
    [[nodiscard]] std::vector<std::string> check(std::string_view password, std::string_view email)
        const;

    [[nodiscard]] std::size_t common_password_count() const { return common_.size(); }

private:
    std::unordered_set<std::string> common_;
};

}  // namespace molvault::auth
