#include "db/migrator.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "common/log.hpp"
#include "db/migration_files.hpp"

namespace molvault::db {
namespace {

// pg_advisory_lock key held while migrating: "molvault" in ASCII.
constexpr std::int64_t kMigrationLockKey = 0x6D6F6C7661756C74;

constexpr Statement kLock{"migrations_lock", "SELECT pg_advisory_lock($1::bigint)"};
constexpr Statement kUnlock{"migrations_unlock", "SELECT pg_advisory_unlock($1::bigint)"};
constexpr Statement kBegin{"migrations_begin", "BEGIN"};
// SQLite: the write lock for the whole step also serialises two processes migrating at once.
constexpr Statement kBeginImmediate{"migrations_begin", "BEGIN IMMEDIATE"};
constexpr Statement kCommit{"migrations_commit", "COMMIT"};
constexpr Statement kRollback{"migrations_rollback", "ROLLBACK"};

constexpr Statement kCreateTableSqlite{
    "migrations_create_table",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"};
constexpr Statement kCreateTablePostgres{
    "migrations_create_table",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TIMESTAMPTZ NOT NULL)"};
constexpr Statement kTableExistsSqlite{
    "migrations_table_exists",
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"};
constexpr Statement kTableExistsPostgres{
    "migrations_table_exists", "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr Statement kCurrentVersion{
    "migrations_current_version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
constexpr Statement kIsApplied{
    "migrations_is_applied", "SELECT count(*) FROM schema_migrations WHERE version = $1"};
constexpr Statement kRecord{
    "migrations_record",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"};
constexpr Statement kForget{
    "migrations_forget", "DELETE FROM schema_migrations WHERE version = $1"};

struct ParsedName {
    int version = 0;
    std::string name;
    bool up = false;
};

// "0001_users.up.sql" → {1, "users", true}; throws std::logic_error on any other shape.
ParsedName parse_file_name(std::string_view path, std::string_view file) {
    constexpr std::string_view kUp = ".up.sql";
    constexpr std::string_view kDown = ".down.sql";
    constexpr std::size_t kDigits = 4;
    ParsedName parsed;
    std::string_view stem;
    if (file.ends_with(kUp)) {
        parsed.up = true;
        stem = file.substr(0, file.size() - kUp.size());
    } else if (file.ends_with(kDown)) {
        stem = file.substr(0, file.size() - kDown.size());
    } else {
        throw std::logic_error(fmt::format("migration {}: not NNNN_name.(up|down).sql", path));
    }
    const bool digits = stem.size() > kDigits + 1 && stem[kDigits] == '_' &&
                        std::all_of(stem.begin(), stem.begin() + kDigits, [](char c) {
                            return c >= '0' && c <= '9';
                        });
    if (!digits) {
        throw std::logic_error(fmt::format("migration {}: not NNNN_name.(up|down).sql", path));
    }
    parsed.version = std::stoi(std::string(stem.substr(0, kDigits)));
    parsed.name = std::string(stem.substr(kDigits + 1));
    return parsed;
}

Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

// One connection for the whole run. On PostgreSQL it holds the advisory lock, so a second
// instance migrating at the same time waits here and then finds nothing left to do. On any
// failure the connection is discarded, which also releases the lock.
class MigrationSession {
public:
    explicit MigrationSession(Database& database)
        : connection_(database.acquire()), backend_(connection_.backend()) {
        if (backend_ == Backend::kPostgres) {
            connection_.execute(kLock, {kMigrationLockKey});
        }
    }
    MigrationSession(const MigrationSession&) = delete;
    MigrationSession& operator=(const MigrationSession&) = delete;
    ~MigrationSession() {
        if (backend_ != Backend::kPostgres) {
            return;
        }
        try {
            connection_.execute(kUnlock, {kMigrationLockKey});
        } catch (...) {
            connection_.discard();  // closing the session releases the lock
        }
    }

    [[nodiscard]] PooledConnection& connection() { return connection_; }
    [[nodiscard]] Backend backend() const { return backend_; }

    void ensure_table() {
        connection_.execute(
            backend_ == Backend::kSqlite ? kCreateTableSqlite : kCreateTablePostgres
        );
    }

    // Runs `body` inside BEGIN ... COMMIT; rolls back (or discards) on failure and rethrows.
    template <class Body>
    void in_transaction(Body&& body) {
        connection_.execute(backend_ == Backend::kSqlite ? kBeginImmediate : kBegin);
        try {
            body();
            connection_.execute(kCommit);
        } catch (...) {
            try {
                connection_.execute(kRollback);
            } catch (...) {
                connection_.discard();
            }
            throw;
        }
    }

    [[nodiscard]] bool is_applied(int version) {
        return connection_.execute(kIsApplied, {std::int64_t{version}}).one().integer(0) != 0;
    }

private:
    PooledConnection connection_;
    Backend backend_;
};

int current_version(PooledConnection& connection) {
    const bool sqlite = connection.backend() == Backend::kSqlite;
    const auto exists = connection.execute(sqlite ? kTableExistsSqlite : kTableExistsPostgres);
    if (!exists.one().boolean(0)) {
        return 0;
    }
    return static_cast<int>(connection.execute(kCurrentVersion).one().integer(0));
}

double milliseconds(std::chrono::microseconds duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
}

std::chrono::microseconds since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start
    );
}

}  // namespace

std::vector<Migration> migrations_for(Backend backend) {
    const std::string prefix = std::string(backend_name(backend)) + "/";
    std::map<int, Migration> by_version;
    std::map<int, std::pair<bool, bool>> seen;  // version → (has up, has down)
    for (const auto& file : embedded_migration_files()) {
        if (!file.path.starts_with(prefix)) {
            continue;
        }
        const auto parsed = parse_file_name(file.path, file.path.substr(prefix.size()));
        auto& migration = by_version[parsed.version];
        if (!migration.name.empty() && migration.name != parsed.name) {
            throw std::logic_error(fmt::format(
                "migration {} of {} has two names: {} and {}",
                parsed.version,
                prefix,
                migration.name,
                parsed.name
            ));
        }
        migration.version = parsed.version;
        migration.name = parsed.name;
        auto& [has_up, has_down] = seen[parsed.version];
        (parsed.up ? has_up : has_down) = true;
        (parsed.up ? migration.up_sql : migration.down_sql) = std::string(file.contents);
    }
    std::vector<Migration> migrations;
    int expected = 1;
    for (auto& [version, migration] : by_version) {
        if (version != expected) {
            throw std::logic_error(
                fmt::format("{} migrations skip from {} to {}", prefix, expected - 1, version)
            );
        }
        const auto [has_up, has_down] = seen[version];
        if (!has_up || !has_down) {
            throw std::logic_error(fmt::format(
                "{} migration {:04}_{} lacks its {} file",
                prefix,
                version,
                migration.name,
                has_up ? "down" : "up"
            ));
        }
        migrations.push_back(std::move(migration));
        ++expected;
    }
    return migrations;
}

MigrationStatus Migrator::status() {
    auto migrations = migrations_for(database_.backend());
    auto connection = database_.acquire();
    MigrationStatus status;
    status.current_version = current_version(connection);
    status.latest_version = migrations.empty() ? 0 : migrations.back().version;
    for (auto& migration : migrations) {
        if (migration.version > status.current_version) {
            status.pending.push_back(std::move(migration));
        }
    }
    return status;
}

std::vector<MigrationStep> Migrator::up(std::optional<int> to) {
    const auto migrations = migrations_for(database_.backend());
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    const int target = to.value_or(latest);
    if (target < 0 || target > latest) {
        throw std::invalid_argument(
            fmt::format("target version {} is not between 0 and {}", target, latest)
        );
    }
    MigrationSession session(database_);
    session.ensure_table();
    const int current = current_version(session.connection());
    std::vector<MigrationStep> steps;
    for (const auto& migration : migrations) {
        if (migration.version <= current || migration.version > target) {
            continue;
        }
        const auto start = std::chrono::steady_clock::now();
        bool applied = false;
        session.in_transaction([&session, &migration, &applied] {
            if (session.is_applied(migration.version)) {
                return;  // another process got here first (SQLite has no advisory lock)
            }
            session.connection().execute_script(migration.up_sql);
            session.connection().execute(
                kRecord, {std::int64_t{migration.version}, migration.name, now()}
            );
            applied = true;
        });
        if (!applied) {
            continue;
        }
        steps.push_back(MigrationStep{migration.version, migration.name, since(start)});
        log::info(
            "migration_applied",
            {{"version", migration.version},
             {"name", migration.name},
             {"duration_ms", milliseconds(steps.back().duration)}}
        );
    }
    return steps;
}

std::vector<MigrationStep> Migrator::down(int to) {
    auto migrations = migrations_for(database_.backend());
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    if (to < 0 || to > latest) {
        throw std::invalid_argument(
            fmt::format("target version {} is not between 0 and {}", to, latest)
        );
    }
    MigrationSession session(database_);
    const int current = current_version(session.connection());
    if (current > latest) {
        throw DatabaseError(fmt::format(
            "the schema is at version {}, newer than this binary knows ({}); use a newer binary",
            current,
            latest
        ));
    }
    std::vector<MigrationStep> steps;
    std::reverse(migrations.begin(), migrations.end());
    for (const auto& migration : migrations) {
        if (migration.version > current || migration.version <= to) {
            continue;
        }
        const auto start = std::chrono::steady_clock::now();
        bool reverted = false;
        session.in_transaction([&session, &migration, &reverted] {
            if (!session.is_applied(migration.version)) {
                return;
            }
            session.connection().execute_script(migration.down_sql);
            session.connection().execute(kForget, {std::int64_t{migration.version}});
            reverted = true;
        });
        if (!reverted) {
            continue;
        }
        steps.push_back(MigrationStep{migration.version, migration.name, since(start)});
        log::info(
            "migration_reverted",
            {{"version", migration.version},
             {"name", migration.name},
             {"duration_ms", milliseconds(steps.back().duration)}}
        );
    }
    return steps;
}

void Migrator::grant_app_role(const std::string& role) {
    if (database_.backend() != Backend::kPostgres) {
        return;  // SQLite has no roles: file permissions are its only access control
    }
    if (role.empty()) {
        throw std::invalid_argument("the app role name is empty");
    }
    MigrationSession session(database_);
    session.ensure_table();
    const std::string quoted = session.connection().quote_identifier(role);
    // USAGE on the schema only lets the role reach the tables (PUBLIC usually has it already);
    // CREATE is never granted, so the app user cannot change the schema. The app may read the
    // migration history (to check the schema is current) but not rewrite it. Default privileges
    // cover tables that later migrations create as the current (migrating) role.
    const std::string script = fmt::format(
        "GRANT USAGE ON SCHEMA public TO {0};"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {0};"
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {0};"
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {0};"
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {0};"
        "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM {0};",
        quoted
    );
    session.in_transaction([&session, &script] { session.connection().execute_script(script); });
    log::info("app_role_granted", {{"role", role}});
}

}  // namespace molvault::db
