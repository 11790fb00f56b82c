#pragma once
// Security events (registration, login success and failure, lockout, refresh failure, suspected
// token theft, logout, admin actions): one row in audit_events and one structured log line
// each. Never given secrets; the log's key-based redaction is a second guard. Stateless
// functions; thread-safe. db:: errors propagate.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "db/database.hpp"

namespace molvault::audit {

enum class Outcome { kSuccess, kFailure, kAlert };

struct AuditEvent {
    std::string event;  // e.g. "login", "token_theft_suspected"
    Outcome outcome = Outcome::kSuccess;
    std::optional<std::string> user_id;
    std::string ip;
    std::string user_agent;
    std::string request_id;
    nlohmann::json details = nlohmann::json::object();  // e.g. {"reason": "bad_password"}
};

// Writes inside the caller's transaction, so the event commits (or not) with the change.
void record(db::Transaction& tx, const AuditEvent& event);
// Writes in its own transaction (for failures, which have no transaction to join).
void record(db::Database& db, const AuditEvent& event);

}  // namespace molvault::audit
