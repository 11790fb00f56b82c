// The storage conformance suite: every behaviour of db::Database that services rely on, run
// against both backends on a fresh, empty database per test.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/random.hpp"
#include "db/database.hpp"
#include "db/migrator.hpp"
#include "support/test_database.hpp"

namespace molvault::db {
namespace {

using namespace std::chrono_literals;

constexpr Statement kInsertUser{
    "test_insert_user",
    "INSERT INTO users (id, email, email_normalized, hashed_password, tier, created_at, "
    "updated_at) VALUES ($1, $2, $3, 'x', $4, $5, $5)"};
constexpr Statement kCountUsers{"test_count_users", "SELECT count(*) FROM users"};
constexpr Statement kInsertAudit{
    "test_insert_audit",
    "INSERT INTO audit_events (occurred_at, event, user_id, outcome) VALUES ($1, $2, $3, 'ok')"};
constexpr Statement kBumpAttempts{
    "test_bump_attempts",
    "UPDATE users SET failed_login_attempts = failed_login_attempts + 1 WHERE id = $1"};
constexpr Statement kReadAttempts{
    "test_read_attempts", "SELECT failed_login_attempts FROM users WHERE id = $1"};
constexpr Statement kReadDefaults{
    "test_read_defaults",
    "SELECT role, tier, is_active, email_verified, failed_login_attempts, locked_until, "
    "created_at FROM users WHERE id = $1"};

// One column per Value type; the DDL differs only where SQLite lacks the type.
constexpr Statement kCreateValuesSqlite{
    "test_create_values",
    "CREATE TABLE roundtrip (k INTEGER PRIMARY KEY, i INTEGER, d REAL, t TEXT, b INTEGER, "
    "ts TEXT, bl BLOB)"};
constexpr Statement kCreateValuesPostgres{
    "test_create_values",
    "CREATE TABLE roundtrip (k BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, "
    "b BOOLEAN, ts TIMESTAMPTZ, bl BYTEA)"};
constexpr Statement kInsertValues{
    "test_insert_values",
    "INSERT INTO roundtrip (k, i, d, t, b, ts, bl) VALUES ($1, $2, $3, $4, $5, $6, $7)"};
constexpr Statement kSelectValues{
    "test_select_values", "SELECT i, d, t, b, ts, bl FROM roundtrip WHERE k = $1"};

Timestamp now_micros() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

std::string backend_test_name(const testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class DbConformance : public testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        database_ = std::make_unique<test::TestDatabase>(GetParam());
        db_ = database_->open();
    }

    void migrate() { Migrator(*db_).up(); }

    std::string insert_user(Database& db, const std::string& email, const std::string& tier) {
        std::string id = uuid_v4();
        db.execute(kInsertUser, {id, email, email, tier, now_micros()});
        return id;
    }
    std::string insert_user(const std::string& email) { return insert_user(*db_, email, "free"); }

    std::unique_ptr<Database> open_with(PoolOptions pool) { return database_->open(pool); }

    std::unique_ptr<test::TestDatabase> database_;
    std::unique_ptr<Database> db_;
};

TEST_P(DbConformance, MigrationsApplyFromEmpty) {
    Migrator migrator(*db_);
    const auto before = migrator.status();
    EXPECT_EQ(before.current_version, 0);
    EXPECT_GE(before.latest_version, 1);
    EXPECT_EQ(before.pending.size(), static_cast<std::size_t>(before.latest_version));

    const auto steps = migrator.up();

    ASSERT_EQ(steps.size(), static_cast<std::size_t>(before.latest_version));
    EXPECT_EQ(steps.front().version, 1);
    EXPECT_EQ(steps.front().name, "users");
    const auto after = migrator.status();
    EXPECT_EQ(after.current_version, after.latest_version);
    EXPECT_TRUE(after.pending.empty());
    EXPECT_EQ(db_->execute(kCountUsers).one().integer(0), 0);
}

TEST_P(DbConformance, SecondUpAppliesNothing) {
    Migrator migrator(*db_);
    migrator.up();

    const auto steps = migrator.up();

    EXPECT_TRUE(steps.empty());
    EXPECT_EQ(migrator.status().current_version, migrator.status().latest_version);
}

TEST_P(DbConformance, DownToZeroRemovesTheSchemaAndUpRestoresIt) {
    Migrator migrator(*db_);
    const auto applied = migrator.up();

    const auto reverted = migrator.down(0);

    ASSERT_EQ(reverted.size(), applied.size());
    EXPECT_EQ(reverted.front().version, applied.back().version);
    EXPECT_EQ(migrator.status().current_version, 0);
    EXPECT_THROW(db_->execute(kCountUsers), DatabaseError);
    EXPECT_EQ(migrator.up().size(), applied.size());
    EXPECT_EQ(db_->execute(kCountUsers).one().integer(0), 0);
}

TEST_P(DbConformance, RejectsATargetVersionOutsideTheKnownRange) {
    Migrator migrator(*db_);
    EXPECT_THROW(migrator.up(-1), std::invalid_argument);
    EXPECT_THROW(migrator.up(migrator.status().latest_version + 1), std::invalid_argument);
    EXPECT_THROW(migrator.down(-1), std::invalid_argument);
}

TEST_P(DbConformance, RoundTripsEveryValueType) {
    db_->execute(GetParam() == Backend::kSqlite ? kCreateValuesSqlite : kCreateValuesPostgres);
    const std::string text =
        "it's \"quoted\"; DROP TABLE users; -- \\ % _ $1 ? ünïcødé 日本 🧪";
    const Timestamp ts =
        std::chrono::sys_days(std::chrono::year(2026) / 11 / 23) + 10h + 7min + 3s + 123456us;
    const Blob blob{std::string("\0\x01\xff\0zz\0", 7)};
    const std::int64_t big = std::numeric_limits<std::int64_t>::min();
    const double pi = 3.141592653589793;

    db_->execute(kInsertValues, {std::int64_t{1}, big, pi, text, true, ts, blob});
    db_->execute(
        kInsertValues, {std::int64_t{2}, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr}
    );
    db_->execute(
        kInsertValues, {std::int64_t{3}, std::int64_t{0}, -0.5, std::string(), false, ts, Blob{}}
    );

    const auto full = db_->execute(kSelectValues, {std::int64_t{1}}).one();
    EXPECT_EQ(full.integer(0), big);
    EXPECT_EQ(full.real(1), pi);
    EXPECT_EQ(full.text(2), text);
    EXPECT_TRUE(full.boolean(3));
    EXPECT_EQ(full.timestamp(4), ts);
    EXPECT_EQ(full.text(4), "2026-11-23T10:07:03.123456Z");
    EXPECT_EQ(full.blob(5), blob.bytes);

    const auto nulls = db_->execute(kSelectValues, {std::int64_t{2}}).one();
    for (std::size_t column = 0; column < nulls.size(); ++column) {
        SCOPED_TRACE(column);
        EXPECT_TRUE(nulls.is_null(column));
    }

    const auto empty = db_->execute(kSelectValues, {std::int64_t{3}}).one();
    EXPECT_EQ(empty.integer(0), 0);
    EXPECT_EQ(empty.real(1), -0.5);
    EXPECT_EQ(empty.text(2), "");
    EXPECT_FALSE(empty.boolean(3));
    EXPECT_EQ(empty.blob(5), "");
}

TEST_P(DbConformance, ReportsAffectedRows) {
    migrate();
    const auto id = insert_user("a@example.com");

    const auto updated = db_->execute(kBumpAttempts, {id});
    const auto missed = db_->execute(kBumpAttempts, {uuid_v4()});

    EXPECT_EQ(updated.affected_rows, 1);
    EXPECT_EQ(missed.affected_rows, 0);
}

TEST_P(DbConformance, NewUsersGetTheSchemaDefaults) {
    migrate();
    const auto id = insert_user("defaults@example.com");

    const auto row = db_->execute(kReadDefaults, {id}).one();

    EXPECT_EQ(row.text(0), "user");
    EXPECT_EQ(row.text(1), "free");
    EXPECT_TRUE(row.boolean(2));
    EXPECT_FALSE(row.boolean(3));
    EXPECT_EQ(row.integer(4), 0);
    EXPECT_EQ(row.optional_timestamp(5), std::nullopt);
    EXPECT_NO_THROW((void)row.timestamp(6));
}

TEST_P(DbConformance, DuplicateNormalizedEmailIsAUniqueViolation) {
    migrate();
    insert_user("dup@example.com");

    try {
        insert_user("dup@example.com");
        FAIL() << "expected UniqueViolation";
    } catch (const UniqueViolation& e) {
        if (GetParam() == Backend::kPostgres) {
            EXPECT_EQ(e.constraint(), "users_email_normalized_key");
        }
        EXPECT_EQ(std::string(e.what()).find("dup@example.com"), std::string::npos)
            << "parameters must never appear in messages: " << e.what();
    }
}

TEST_P(DbConformance, AuditEventForAnUnknownUserIsAForeignKeyViolation) {
    migrate();
    EXPECT_THROW(
        db_->execute(kInsertAudit, {now_micros(), "login", uuid_v4()}), ForeignKeyViolation
    );
    EXPECT_NO_THROW(db_->execute(kInsertAudit, {now_micros(), "login", nullptr}));
}

TEST_P(DbConformance, UnknownTierIsACheckViolation) {
    migrate();
    try {
        insert_user(*db_, "tier@example.com", "platinum");
        FAIL() << "expected CheckViolation";
    } catch (const CheckViolation& e) {
        if (GetParam() == Backend::kPostgres) {
            EXPECT_EQ(e.constraint(), "users_tier_check");
        }
    }
}

TEST_P(DbConformance, TransactionRollsBackWhenDestroyedWithoutCommit) {
    migrate();
    {
        auto tx = db_->begin();
        tx.execute(
            kInsertUser, {uuid_v4(), "gone@example.com", "gone@example.com", "free", now_micros()}
        );
    }
    EXPECT_EQ(db_->execute(kCountUsers).one().integer(0), 0);
    EXPECT_EQ(db_->pool_stats().in_use, 0);
}

TEST_P(DbConformance, CommittedTransactionPersists) {
    migrate();
    {
        auto tx = db_->begin();
        tx.execute(
            kInsertUser, {uuid_v4(), "kept@example.com", "kept@example.com", "free", now_micros()}
        );
        tx.commit();
    }
    EXPECT_EQ(db_->execute(kCountUsers).one().integer(0), 1);
}

TEST_P(DbConformance, FailedStatementLeavesTheConnectionUsable) {
    migrate();
    insert_user("once@example.com");
    {
        auto tx = db_->begin();
        const std::string email = "once@example.com";
        EXPECT_THROW(
            tx.execute(kInsertUser, {uuid_v4(), email, email, "free", now_micros()}),
            UniqueViolation
        );
    }  // rolls back (PostgreSQL has aborted the transaction; SQLite only the statement)
    EXPECT_EQ(db_->execute(kCountUsers).one().integer(0), 1);
    EXPECT_EQ(db_->pool_stats().discarded_total, 0);
}

TEST_P(DbConformance, ConcurrentTransactionsFromSeveralThreadsAllCommit) {
    migrate();
    const auto id = insert_user("busy@example.com");
    constexpr int kThreads = 4;
    constexpr int kPerThread = 20;

    std::vector<std::future<void>> workers;
    for (int t = 0; t < kThreads; ++t) {
        workers.push_back(std::async(std::launch::async, [this, &id] {
            for (int i = 0; i < kPerThread; ++i) {
                auto tx = db_->begin();
                tx.execute(kBumpAttempts, {id});
                tx.execute(kInsertAudit, {now_micros(), "bump", id});
                tx.commit();
            }
        }));
    }
    for (auto& worker : workers) {
        worker.get();
    }

    EXPECT_EQ(db_->execute(kReadAttempts, {id}).one().integer(0), kThreads * kPerThread);
    const auto stats = db_->pool_stats();
    EXPECT_EQ(stats.in_use, 0);
    EXPECT_LE(stats.size, stats.max);
}

TEST_P(DbConformance, PoolStatsCountInUseIdleAndWaiting) {
    PoolOptions pool;
    pool.size = 2;
    pool.max_overflow = 0;
    pool.timeout = 10s;
    const auto db = open_with(pool);  // opens one connection eagerly and returns it
    EXPECT_EQ(db->pool_stats().idle, 1);

    auto first = db->acquire();
    auto second = db->acquire();
    auto stats = db->pool_stats();
    EXPECT_EQ(stats.in_use, 2);
    EXPECT_EQ(stats.idle, 0);
    EXPECT_EQ(stats.size, 2);
    EXPECT_EQ(stats.max, 2);
    EXPECT_EQ(stats.created_total, 2);

    auto waiter = std::async(std::launch::async, [&db] {
        auto third = db->acquire();
        third.execute({"test_ping", "SELECT 1"});
    });
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (db->pool_stats().waiting != 1 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(db->pool_stats().waiting, 1);

    { auto released = std::move(first); }
    waiter.get();

    stats = db->pool_stats();
    EXPECT_EQ(stats.waiting, 0);
    EXPECT_EQ(stats.in_use, 1);
    EXPECT_EQ(stats.idle, 1);
    EXPECT_EQ(stats.created_total, 2);
    EXPECT_EQ(stats.timeouts_total, 0);
}

TEST_P(DbConformance, ExhaustedPoolThrowsPoolTimeout) {
    PoolOptions pool;
    pool.size = 1;
    pool.max_overflow = 0;
    pool.timeout = 100ms;
    const auto db = open_with(pool);
    auto held = db->acquire();

    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)db->acquire(), PoolTimeout);

    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
    const auto stats = db->pool_stats();
    EXPECT_EQ(stats.timeouts_total, 1);
    EXPECT_EQ(stats.waiting, 0);
    EXPECT_EQ(stats.in_use, 1);
}

TEST_P(DbConformance, OverflowConnectionsAreClosedOnReturn) {
    PoolOptions pool;
    pool.size = 1;
    pool.max_overflow = 2;
    pool.timeout = 1s;
    const auto db = open_with(pool);
    {
        auto a = db->acquire();
        auto b = db->acquire();
        auto c = db->acquire();
        const auto busy = db->pool_stats();
        EXPECT_EQ(busy.size, 3);
        EXPECT_EQ(busy.in_use, 3);
        EXPECT_EQ(busy.overflow_total, 2);
        EXPECT_THROW((void)db->acquire(), PoolTimeout);
    }
    const auto stats = db->pool_stats();
    EXPECT_EQ(stats.size, 1);
    EXPECT_EQ(stats.idle, 1);
    EXPECT_EQ(stats.in_use, 0);
    EXPECT_EQ(stats.discarded_total, 2);
}

TEST_P(DbConformance, DiscardedConnectionIsClosedNotReturned) {
    PoolOptions pool;
    pool.size = 2;
    pool.max_overflow = 0;
    const auto db = open_with(pool);
    {
        auto connection = db->acquire();
        connection.discard();
    }
    const auto stats = db->pool_stats();
    EXPECT_EQ(stats.size, 0);
    EXPECT_EQ(stats.discarded_total, 1);
    EXPECT_TRUE(db->ping());
    EXPECT_EQ(db->pool_stats().created_total, 2);
}

TEST_P(DbConformance, OldConnectionsAreRecycled) {
    PoolOptions pool;
    pool.size = 1;
    pool.max_overflow = 0;
    pool.recycle = 0s;
    const auto db = open_with(pool);
    std::this_thread::sleep_for(2ms);

    EXPECT_TRUE(db->ping());

    const auto stats = db->pool_stats();
    EXPECT_GE(stats.discarded_total, 1);
    EXPECT_GE(stats.created_total, 2);
}

TEST_P(DbConformance, SlowStatementsAreLoggedByNameWithoutParameters) {
    DatabaseOptions options;
    options.slow_query = 0ms;  // every statement is "slow"
    const auto db = database_->open(options);
    const std::string secret_param = "do-not-log-" + random_hex(8);

    testing::internal::CaptureStderr();
    db->execute({"test_named_statement", "SELECT $1"}, {secret_param});
    const std::string log = testing::internal::GetCapturedStderr();

    EXPECT_NE(log.find("\"event\":\"slow_query\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"statement\":\"test_named_statement\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"duration_ms\""), std::string::npos) << log;
    EXPECT_EQ(log.find(secret_param), std::string::npos) << log;
}

TEST_P(DbConformance, FastStatementsAreNotLogged) {
    testing::internal::CaptureStderr();
    db_->execute({"test_fast_statement", "SELECT 1"});
    const std::string log = testing::internal::GetCapturedStderr();

    EXPECT_EQ(log.find("slow_query"), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends,
    DbConformance,
    testing::Values(Backend::kSqlite, Backend::kPostgres),
    backend_test_name
);

// What one backend physically does differently is tested here, per backend.

TEST(DbSqlite, CreatesTheParentDirectoryOfTheFile) {
    const test::TestDatabase scratch(Backend::kSqlite);
    const auto nested = std::filesystem::path(scratch.name()).parent_path() / "a" / "b" / "m.db";
    DatabaseOptions options;
    options.url = "sqlite:" + nested.string();

    const auto db = Database::open(options);

    EXPECT_TRUE(std::filesystem::exists(nested));
    EXPECT_TRUE(db->ping());
}

TEST(DbSqlite, WriterWaitingPastTheBusyTimeoutGetsSerializationFailure) {
    const test::TestDatabase scratch(Backend::kSqlite);
    DatabaseOptions options;
    options.sqlite_busy_timeout = 50ms;
    const auto db = scratch.open(options);
    const auto holder = db->begin();  // BEGIN IMMEDIATE: holds the write lock

    EXPECT_THROW((void)db->begin(), SerializationFailure);
}

TEST(DbSqlite, RunsInWalModeWithForeignKeysOn) {
    const test::TestDatabase scratch(Backend::kSqlite);
    const auto db = scratch.open();

    EXPECT_EQ(db->execute({"test_journal_mode", "PRAGMA journal_mode"}).one().text(0), "wal");
    EXPECT_EQ(db->execute({"test_foreign_keys", "PRAGMA foreign_keys"}).one().integer(0), 1);
    EXPECT_EQ(db->execute({"test_synchronous", "PRAGMA synchronous"}).one().integer(0), 1);
}

TEST(DbPostgres, ConcurrentUpdateUnderRepeatableReadIsASerializationFailure) {
    const test::TestDatabase scratch(Backend::kPostgres);
    const auto db = scratch.open();
    Migrator(*db).up();
    const std::string id = uuid_v4();
    db->execute(kInsertUser, {id, "rr@example.com", "rr@example.com", "free", now_micros()});
    {
        auto reader = db->acquire();
        reader.execute({"test_begin_rr", "BEGIN ISOLATION LEVEL REPEATABLE READ"});
        reader.execute(kReadAttempts, {id});  // takes the snapshot

        db->execute(kBumpAttempts, {id});  // another session commits a change

        EXPECT_THROW(reader.execute(kBumpAttempts, {id}), SerializationFailure);
    }  // returned inside an aborted transaction: discarded, not lent again
    const auto stats = db->pool_stats();
    EXPECT_EQ(stats.discarded_total, 1);
    EXPECT_EQ(db->execute(kReadAttempts, {id}).one().integer(0), 1);
}

TEST(DbPostgres, SessionsRunInUtcAsMolvault) {
    const test::TestDatabase scratch(Backend::kPostgres);
    const auto db = scratch.open();

    EXPECT_EQ(db->execute({"test_timezone", "SHOW TimeZone"}).one().text(0), "UTC");
    EXPECT_EQ(db->execute({"test_application", "SHOW application_name"}).one().text(0), "molvault");
}

TEST(DbOpen, RejectsAnUnknownUrlScheme) {
    DatabaseOptions options;
    options.url = "mysql://root:hunter2@localhost/db";

    try {
        (void)Database::open(options);
        FAIL() << "expected DatabaseError";
    } catch (const DatabaseError& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace molvault::db
