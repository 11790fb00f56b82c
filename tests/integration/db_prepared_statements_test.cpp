// Statements are prepared once per connection and reused (PostgreSQL: PQprepare on first use,
// then PQexecPrepared; SQLite: a cached sqlite3_stmt). Callers must not be able to tell: every
// call answers for its own parameters, a failure is not remembered, two SQL texts never run
// each other's statement, and a session that lost its statements (dropped by hand, or a new
// session after a broken one) prepares them again. Each test uses a pool of one connection, so
// every call below runs on the same session unless the test breaks it.

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "support/test_database.hpp"

namespace molvault::db {
namespace {

constexpr Statement kCreateItems{
    "test_create_items", "CREATE TABLE items (k BIGINT PRIMARY KEY, v TEXT NOT NULL)"};
constexpr Statement kInsertItem{"test_insert_item", "INSERT INTO items (k, v) VALUES ($1, $2)"};
constexpr Statement kFindItem{"test_find_item", "SELECT v FROM items WHERE k = $1"};
constexpr Statement kCountItems{"test_count_items", "SELECT count(*) FROM items"};
constexpr Statement kBackendPid{"test_backend_pid", "SELECT pg_backend_pid()"};
constexpr Statement kOurStatements{
    "test_prepared_statements",
    "SELECT name, statement FROM pg_prepared_statements WHERE strpos(statement, '/* ' || "
    "'probe') > 0"};

std::string backend_test_name(const testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// One connection, never pinged: every statement runs on the same session.
std::unique_ptr<Database> open_one_connection(const test::TestDatabase& database) {
    PoolOptions pool;
    pool.size = 1;
    pool.max_overflow = 0;
    pool.pre_ping = false;
    return database.open(pool);
}

std::string item_value(std::int64_t k) { return "value " + std::to_string(k * 7); }

class DbPreparedStatements : public testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        database_ = std::make_unique<test::TestDatabase>(GetParam());
        db_ = open_one_connection(*database_);
    }

    std::unique_ptr<test::TestDatabase> database_;
    std::unique_ptr<Database> db_;
};

TEST_P(DbPreparedStatements, EachCallOfARepeatedStatementAnswersForItsOwnParameters) {
    db_->execute(kCreateItems);
    constexpr std::int64_t kItems = 60;
    for (std::int64_t k = 1; k <= kItems; ++k) {
        db_->execute(kInsertItem, {k, item_value(k)});
    }

    for (std::int64_t k = kItems; k >= 1; --k) {
        SCOPED_TRACE(k);
        EXPECT_EQ(db_->execute(kFindItem, {k}).one().text(0), item_value(k));
        EXPECT_TRUE(db_->execute(kFindItem, {k + kItems}).empty());
    }
    EXPECT_EQ(db_->execute(kCountItems).one().integer(0), kItems);
}

TEST_P(DbPreparedStatements, AStatementThatFailedRunsLaterOnTheSameConnection) {
    // Fails before the table exists (PostgreSQL: the prepare itself fails), then succeeds, even
    // inside a transaction, where a statement the session does not know could not be retried.
    EXPECT_THROW(db_->execute(kCountItems), DatabaseError);
    db_->execute(kCreateItems);
    {
        auto tx = db_->begin();
        EXPECT_EQ(tx.execute(kCountItems).one().integer(0), 0);
        tx.commit();
    }

    // Fails while running (a duplicate key), then succeeds with other parameters.
    db_->execute(kInsertItem, {std::int64_t{1}, item_value(1)});
    EXPECT_THROW(db_->execute(kInsertItem, {std::int64_t{1}, item_value(1)}), UniqueViolation);
    db_->execute(kInsertItem, {std::int64_t{2}, item_value(2)});

    // Fails inside a transaction, which then rolls back; the statement still works after it.
    {
        auto tx = db_->begin();
        tx.execute(kInsertItem, {std::int64_t{3}, item_value(3)});
        EXPECT_THROW(tx.execute(kInsertItem, {std::int64_t{2}, item_value(2)}), UniqueViolation);
    }
    db_->execute(kInsertItem, {std::int64_t{3}, item_value(3)});
    EXPECT_EQ(db_->execute(kFindItem, {std::int64_t{3}}).one().text(0), item_value(3));
    EXPECT_EQ(db_->execute(kCountItems).one().integer(0), 3);
    EXPECT_EQ(db_->pool_stats().discarded_total, 0);
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends,
    DbPreparedStatements,
    testing::Values(Backend::kSqlite, Backend::kPostgres),
    backend_test_name
);

class DbPostgresPrepared : public testing::Test {
protected:
    void SetUp() override {
        database_ = std::make_unique<test::TestDatabase>(Backend::kPostgres);
        db_ = open_one_connection(*database_);
        db_->execute(kCreateItems);
        db_->execute(kInsertItem, {std::int64_t{1}, item_value(1)});
    }

    std::int64_t backend_pid() { return db_->execute(kBackendPid).one().integer(0); }

    std::unique_ptr<test::TestDatabase> database_;
    std::unique_ptr<Database> db_;
};

TEST_F(DbPostgresPrepared, TwoSqlTextsNeverShareAPreparedStatement) {
    const auto session = backend_pid();
    constexpr int kTexts = 20;
    // Texts that differ only in a constant: a statement run under another's name would answer
    // with the wrong constant.
    const auto text = [](int i) {
        return "SELECT $1::bigint * 1000 + " + std::to_string(i) + " /* probe " +
               std::to_string(i) + " */";
    };
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kTexts; ++i) {
            SCOPED_TRACE(text(i));
            const std::string sql = text(i);
            const auto answer = db_->execute({"test_probe", sql}, {std::int64_t{round}});
            EXPECT_EQ(answer.one().integer(0), round * 1000 + i);
        }
    }

    // Prepared once each, each under a name of its own.
    const auto prepared = db_->execute(kOurStatements);
    EXPECT_EQ(prepared.rows.size(), static_cast<std::size_t>(kTexts));
    std::set<std::string> names;
    std::set<std::string> texts;
    for (const auto& row : prepared.rows) {
        names.insert(row.text(0));
        texts.insert(row.text(1));
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(kTexts));
    EXPECT_EQ(texts.size(), static_cast<std::size_t>(kTexts));
    EXPECT_EQ(backend_pid(), session);
}

TEST_F(DbPostgresPrepared, ParameterTypesAreTheOnesEachCallSends) {
    // A Blob is sent as bytea; a text parameter with no type, which the server must infer.
    // One SQL text called both ways is two statements, each typed as that call sends it.
    constexpr Statement kTypeOf{"test_type_of", "SELECT pg_typeof($1)::text"};
    EXPECT_EQ(db_->execute(kTypeOf, {Blob{"\x01\x02"}}).one().text(0), "bytea");
    // Not inferable, exactly as when every call was parsed afresh.
    EXPECT_THROW(db_->execute(kTypeOf, {std::string("text")}), DatabaseError);
    EXPECT_EQ(db_->execute(kTypeOf, {Blob{"\x03"}}).one().text(0), "bytea");

    constexpr Statement kEcho{"test_echo", "SELECT $1 /* probe echo */"};
    EXPECT_EQ(db_->execute(kEcho, {std::string("as text")}).one().text(0), "as text");
    EXPECT_EQ(
        db_->execute(kEcho, {Blob{std::string("\0raw", 4)}}).one().blob(0), std::string("\0raw", 4)
    );
    EXPECT_EQ(db_->execute(kEcho, {std::int64_t{42}}).one().text(0), "42");
}

TEST_F(DbPostgresPrepared, ANewSessionAfterABrokenOnePreparesItsStatementsAgain) {
    const auto broken = backend_pid();
    {
        auto connection = db_->acquire();
        EXPECT_EQ(connection.execute(kFindItem, {std::int64_t{1}}).one().text(0), item_value(1));
        const auto admin = database_->open();
        admin->execute({"test_terminate", "SELECT pg_terminate_backend($1::int, 10000)"}, {broken});

        EXPECT_THROW((void)connection.execute(kFindItem, {std::int64_t{1}}), ConnectionLost);
    }  // discarded

    // Inside a transaction, where a statement the new session does not know could not be
    // prepared again on the spot: the cache must have gone with the old session.
    auto tx = db_->begin();
    EXPECT_EQ(tx.execute(kFindItem, {std::int64_t{1}}).one().text(0), item_value(1));
    EXPECT_NE(tx.execute(kBackendPid).one().integer(0), broken);
    tx.commit();
}

TEST_F(DbPostgresPrepared, StatementsDroppedFromTheSessionArePreparedAgain) {
    EXPECT_EQ(db_->execute(kFindItem, {std::int64_t{1}}).one().text(0), item_value(1));
    auto connection = db_->acquire();
    connection.execute_script("DEALLOCATE ALL");
    // Outside a transaction the call is simply repeated with a fresh statement.
    EXPECT_EQ(connection.execute(kFindItem, {std::int64_t{1}}).one().text(0), item_value(1));

    connection.execute_script("DEALLOCATE ALL");
    {
        Transaction tx(std::move(connection));
        // Inside one the transaction is lost; the statement is prepared again next time.
        EXPECT_THROW(tx.execute(kFindItem, {std::int64_t{1}}), DatabaseError);
    }
    auto tx = db_->begin();
    EXPECT_EQ(tx.execute(kFindItem, {std::int64_t{1}}).one().text(0), item_value(1));
    tx.commit();
}

TEST_F(DbPostgresPrepared, AStatementWhoseResultTheSchemaReshapedIsPreparedAgain) {
    constexpr Statement kWholeItem{"test_whole_item", "SELECT * FROM items WHERE k = $1"};
    EXPECT_EQ(db_->execute(kWholeItem, {std::int64_t{1}}).one().size(), 2U);

    // A migration adds a column while the statement stays prepared.
    db_->acquire().execute_script("ALTER TABLE items ADD COLUMN extra TEXT NOT NULL DEFAULT 'x'");

    const auto reshaped = db_->execute(kWholeItem, {std::int64_t{1}});
    ASSERT_EQ(reshaped.one().size(), 3U);
    EXPECT_EQ(reshaped.one().text(2), "x");
    EXPECT_EQ(db_->execute(kWholeItem, {std::int64_t{1}}).one().text(1), item_value(1));
}

TEST_F(DbPostgresPrepared, TextsBeyondTheCacheRunUnprepared) {
    // More distinct texts than one session prepares (PostgresConnection::kMaxPrepared, 512).
    constexpr int kTexts = 600;
    for (int i = 0; i < kTexts; ++i) {
        const std::string sql = "SELECT $1::bigint + " + std::to_string(i) + " /* probe */";
        ASSERT_EQ(db_->execute({"test_many", sql}, {std::int64_t{1}}).one().integer(0), i + 1);
    }
    const auto prepared = db_->execute(kOurStatements).rows.size();
    EXPECT_GT(prepared, 0U);
    EXPECT_LT(prepared, static_cast<std::size_t>(kTexts));
    // Those prepared still answer for their own parameters, and the others still run.
    for (const int i : {0, kTexts - 1}) {
        const std::string sql = "SELECT $1::bigint + " + std::to_string(i) + " /* probe */";
        EXPECT_EQ(db_->execute({"test_many", sql}, {std::int64_t{5}}).one().integer(0), i + 5);
    }
}

}  // namespace
}  // namespace molvault::db
