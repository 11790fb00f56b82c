#include "audit/audit_log.hpp"

#include "common/log.hpp"

namespace molvault::audit {
namespace {

constexpr std::size_t kMaxUserAgentLength = 512;

constexpr db::Statement kInsert{
    "audit_events.insert",
    "INSERT INTO audit_events (occurred_at, event, user_id, ip, user_agent, outcome, details) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
};

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::kSuccess:
            return "success";
        case Outcome::kFailure:
            return "failure";
        case Outcome::kAlert:
            return "alert";
    }
    return "failure";
}

void write_log(const AuditEvent& event) {
    log::Fields fields = {
        {"security_event", event.event},
        {"outcome", outcome_name(event.outcome)},
        {"user_id", event.user_id ? nlohmann::json(*event.user_id) : nlohmann::json(nullptr)},
        {"client_ip", event.ip},
        {"user_agent", event.user_agent.substr(0, kMaxUserAgentLength)},
        {"request_id", event.request_id},
        {"details", event.details},
    };
    switch (event.outcome) {
        case Outcome::kSuccess:
            log::info("security_event", std::move(fields));
            break;
        case Outcome::kFailure:
            log::warn("security_event", std::move(fields));
            break;
        case Outcome::kAlert:
            log::error("security_event", std::move(fields));
            break;
    }
}

void insert(db::Transaction& tx, const AuditEvent& event) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    tx.execute(
        kInsert,
        {now,
         event.event,
         db::nullable_text(event.user_id),
         event.ip,
         event.user_agent.substr(0, kMaxUserAgentLength),
         std::string(outcome_name(event.outcome)),
         event.details.dump()}
    );
}

}  // namespace

void record(db::Transaction& tx, const AuditEvent& event) {
    insert(tx, event);
    write_log(event);
}

void record(db::Database& db, const AuditEvent& event) {
    auto tx = db.begin();
    insert(tx, event);
    tx.commit();
    write_log(event);
}

}  // namespace molvault::audit
