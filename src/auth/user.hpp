#pragma once
// Value types of the auth feature. Plain data; no invariants beyond what the service enforces.

#include <optional>
#include <string>

#include "db/database.hpp"

namespace molvault::auth {

struct UserId {
    std::string value;
    auto operator<=>(const UserId&) const = default;
};

struct User {
    UserId id;
    std::string email;
    std::string email_normalized;
    std::string hashed_password;  // never leaves the service layer
    std::string role;             // "user" | "admin"
    std::string tier;             // "free" | "pro" | "enterprise"
    bool is_active = true;
    bool email_verified = false;
    int failed_login_attempts = 0;
    std::optional<db::Timestamp> locked_until;
    db::Timestamp created_at;
};

// Who a caller is, as the request context needs it.
struct Principal {
    UserId id;
    std::string role;
    std::string tier;
};

[[nodiscard]] bool is_valid_role(std::string_view role);
[[nodiscard]] bool is_valid_tier(std::string_view tier);

}  // namespace molvault::auth
