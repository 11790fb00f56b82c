#pragma once
// Versioned schema migrations, embedded in the binary. Each version N has
// <backend>/NNNN_name.up.sql and a reviewed NNNN_name.down.sql. The applied versions are kept in
// the schema_migrations table (version, name, applied_at), like alembic_version.
//
// Not thread-safe: run from one thread. Safe across processes: on PostgreSQL the migrator holds
// an advisory lock while it works; on SQLite the work runs under BEGIN IMMEDIATE. Each step is
// one transaction (DDL is transactional on both backends), so a failed step leaves the schema
// at the previous version. Throws DatabaseError on failure, std::invalid_argument on a bad
// target version.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace molvault::db {

struct Migration {
    int version = 0;
    std::string name;
    std::string up_sql;
    std::string down_sql;
};

struct MigrationStep {
    int version = 0;
    std::string name;
    std::chrono::microseconds duration{0};
};

struct MigrationStatus {
    int current_version = 0;  // 0: empty database
    int latest_version = 0;   // highest version embedded in this binary
    std::vector<Migration> pending;
};

// The embedded migrations for one backend, ordered by version.
[[nodiscard]] std::vector<Migration> migrations_for(Backend backend);

class Migrator {
public:
    explicit Migrator(Database& database) : database_(database) {}

    [[nodiscard]] MigrationStatus status();
    // Applies every pending migration up to `to` (default: latest). Idempotent.
    std::vector<MigrationStep> up(std::optional<int> to = std::nullopt);
    // Rolls back, newest first, until the schema is at version `to` (0 = empty).
    std::vector<MigrationStep> down(int to);
    // PostgreSQL only: grants SELECT/INSERT/UPDATE/DELETE on every table and USAGE on every
    // sequence to `role` (the app user), and nothing else. A no-op on SQLite.
    void grant_app_role(const std::string& role);

private:
    Database& database_;
};

}  // namespace molvault::db
