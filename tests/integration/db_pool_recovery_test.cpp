// The pool survives a PostgreSQL restart. These tests start their OWN cluster (initdb + pg_ctl
// in a temporary directory, on a free port) so that restarting it cannot disturb the shared
// test server other tests are using. PostgreSQL refuses to run as root, so when we are root
// the server commands run as `postgres` through runuser and the directory is chown'ed to it.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/random.hpp"
#include "db/database.hpp"

namespace molvault::db {
namespace {

using namespace std::chrono_literals;

// Debian's PostgreSQL 15 server binaries (not on PATH); scripts/test-services.sh uses the same.
constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
constexpr Statement kSelectOne{"test_select_one", "SELECT 1"};

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        throw std::runtime_error("socket() failed");
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!ok) {
        throw std::runtime_error("cannot find a free port");
    }
    return ntohs(address.sin_port);
}

// A throwaway PostgreSQL cluster, stopped and deleted in the destructor.
class OwnCluster {
public:
    OwnCluster()
        : directory_(std::filesystem::temp_directory_path() / ("mv_pgrec_" + random_hex(6))),
          port_(free_port()) {
        std::filesystem::create_directories(directory_);
        if (::geteuid() == 0) {
            const passwd* postgres = ::getpwnam("postgres");
            if (postgres == nullptr ||
                ::chown(directory_.c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
                throw std::runtime_error("cannot hand the cluster directory to user postgres");
            }
            as_user_ = "runuser -u postgres -- ";
        }
        run(as_user_ + kPgBin + "/initdb -D " + data() + " -A trust -U postgres -E UTF8" +
            " --no-sync > " + (directory_ / "initdb.out").string() + " 2>&1");
        start();
    }
    OwnCluster(const OwnCluster&) = delete;
    OwnCluster& operator=(const OwnCluster&) = delete;
    ~OwnCluster() {
        (void)std::system((pg_ctl() + " -m immediate stop > /dev/null 2>&1").c_str());
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }

    [[nodiscard]] std::string url(const std::string& password = "") const {
        const std::string secret = password.empty() ? "" : ":" + password;
        return "postgresql://postgres" + secret + "@127.0.0.1:" + std::to_string(port_) +
               "/postgres";
    }

    void start() { run(pg_ctl() + server_options() + " -w start > /dev/null"); }
    void stop() { run(pg_ctl() + " -m fast -w stop > /dev/null"); }
    // Fast shutdown: the server terminates every session (57P01) and comes back up.
    void restart() { run(pg_ctl() + server_options() + " -m fast -w restart > /dev/null"); }

private:
    [[nodiscard]] std::string data() const { return (directory_ / "data").string(); }
    [[nodiscard]] std::string pg_ctl() const { return as_user_ + kPgBin + "/pg_ctl -D " + data(); }
    [[nodiscard]] std::string server_options() const {
        return " -l " + (directory_ / "log").string() + " -o \"-p " + std::to_string(port_) +
               " -k " + directory_.string() + " -c listen_addresses=127.0.0.1 -c fsync=off\"";
    }
    static void run(const std::string& command) {
        if (std::system(command.c_str()) != 0) {
            throw std::runtime_error("command failed: " + command);
        }
    }

    std::filesystem::path directory_;
    int port_;
    std::string as_user_;
};

class DbPoolRecovery : public testing::Test {
protected:
    std::unique_ptr<Database> open_pool(int size) {
        DatabaseOptions options;
        options.url = cluster_.url();
        options.pool.size = size;
        options.pool.max_overflow = 0;
        options.pool.timeout = 5s;
        options.pool.pre_ping = true;
        return Database::open(options);
    }

    OwnCluster cluster_;
};

TEST_F(DbPoolRecovery, NextAcquireAfterAServerRestartSucceeds) {
    constexpr int kSize = 3;
    const auto db = open_pool(kSize);
    {
        std::vector<PooledConnection> all;
        for (int i = 0; i < kSize; ++i) {
            all.push_back(db->acquire());
            all.back().execute(kSelectOne);
        }
    }
    ASSERT_EQ(db->pool_stats().idle, kSize);
    const auto before = db->pool_stats();

    cluster_.restart();

    std::vector<PooledConnection> all;
    for (int i = 0; i < kSize; ++i) {
        all.push_back(db->acquire());
        EXPECT_EQ(all.back().execute(kSelectOne).one().integer(0), 1);
    }
    const auto after = db->pool_stats();
    EXPECT_EQ(after.discarded_total - before.discarded_total, kSize);
    EXPECT_EQ(after.created_total - before.created_total, kSize);
    EXPECT_EQ(after.in_use, kSize);
}

TEST_F(DbPoolRecovery, ConnectionHeldAcrossARestartFailsOnceAndIsDiscarded) {
    const auto db = open_pool(2);
    const auto before = db->pool_stats();
    {
        auto held = db->acquire();
        held.execute(kSelectOne);

        cluster_.restart();

        EXPECT_THROW(held.execute(kSelectOne), ConnectionLost);
    }
    const auto after_failure = db->pool_stats();
    EXPECT_EQ(after_failure.discarded_total - before.discarded_total, 1);
    EXPECT_EQ(after_failure.in_use, 0);

    auto next = db->acquire();
    EXPECT_EQ(next.execute(kSelectOne).one().integer(0), 1);
}

TEST_F(DbPoolRecovery, AcquireFailsWhileTheServerIsDownAndWorksOnceItIsBack) {
    const auto db = open_pool(2);
    {
        auto first = db->acquire();  // the eager connection, not returned while we stop
        cluster_.stop();
        EXPECT_THROW(first.execute(kSelectOne), ConnectionLost);
    }
    EXPECT_THROW((void)db->acquire(), DatabaseError);
    EXPECT_FALSE(db->ping());

    cluster_.start();

    EXPECT_TRUE(db->ping());
    const auto stats = db->pool_stats();
    EXPECT_EQ(stats.in_use, 0);
    EXPECT_EQ(stats.idle, 1);
}

TEST_F(DbPoolRecovery, OpenFailsFastWithoutRevealingThePassword) {
    cluster_.stop();
    DatabaseOptions options;
    options.url = cluster_.url("s3cret-pw");

    try {
        (void)Database::open(options);
        FAIL() << "expected DatabaseError";
    } catch (const DatabaseError& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cret-pw"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace molvault::db
