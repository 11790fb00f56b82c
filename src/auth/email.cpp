#include "auth/email.hpp"

#include <algorithm>
#include <cctype>

namespace molvault::auth {
namespace {

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::string_view kLocalSpecials = "!#$%&'*+/=?^_`{|}~.-";

bool valid_local_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kLocalSpecials.find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.find('.') == std::string_view::npos) {
        return false;
    }
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= domain.size(); ++i) {
        if (i == domain.size() || domain[i] == '.') {
            const auto label = domain.substr(label_start, i - label_start);
            if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
                return false;
            }
            label_start = i + 1;
            continue;
        }
        const char c = domain[i];
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
            return false;
        }
    }
    return true;
}

}  // namespace

EmailCheck check_email(std::string_view email) {
    EmailCheck check;
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())) != 0) {
        email.remove_prefix(1);
    }
    while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())) != 0) {
        email.remove_suffix(1);
    }
    check.trimmed = std::string(email);
    const auto at = email.rfind('@');
    if (email.size() > kMaxEmailLength) {
        check.problem = "Email address is too long";
        return check;
    }
    if (at == std::string_view::npos || at == 0) {
        check.problem = "Enter a valid email address";
        return check;
    }
    const auto local = email.substr(0, at);
    const auto domain = email.substr(at + 1);
    if (local.size() > kMaxLocalPartLength ||
        !std::all_of(local.begin(), local.end(), valid_local_char) || local.front() == '.' ||
        local.back() == '.' || local.find("..") != std::string_view::npos ||
        !valid_domain(domain)) {
        check.problem = "Enter a valid email address";
        return check;
    }
    std::string normalized(email);
    std::transform(normalized.begin(), normalized.end(), normalized.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    check.normalized = std::move(normalized);
    return check;
}

}  // namespace molvault::auth
