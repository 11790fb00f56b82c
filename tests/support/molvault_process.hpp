#pragma once
// Runs the real molvault binary for end-to-end tests: `serve` on a free loopback port with its
// own data directory, output captured to a log file the test can read. The destructor sends
// SIGTERM and waits (SIGKILL after a deadline). One instance per test.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace molvault::test {

using EnvMap = std::map<std::string, std::string>;

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The environment every test process starts from: ENV=test, HOST=127.0.0.1, PORT=0, a test
// JWT secret, LOG_LEVEL=debug, BCRYPT_ROUNDS=4; `overrides` win.
[[nodiscard]] EnvMap base_environment(
    const std::filesystem::path& data_dir, const EnvMap& overrides
);

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr interleaved
};

// Runs `molvault args...` to completion with exactly `env` as its environment and `input` on
// its standard input.
[[nodiscard]] CommandResult run_molvault(
    const std::vector<std::string>& args, const EnvMap& env, const std::string& input = ""
);

class MolvaultProcess {
public:
    // Starts `molvault serve --migrate` (or `args`) and waits for its "listening" log event.
    // Throws std::runtime_error (with the log) if it exits or does not listen in time.
    explicit MolvaultProcess(
        const EnvMap& overrides = {}, std::vector<std::string> args = {"serve", "--migrate"}
    );
    ~MolvaultProcess();
    MolvaultProcess(const MolvaultProcess&) = delete;
    MolvaultProcess& operator=(const MolvaultProcess&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] const std::filesystem::path& data_dir() const { return data_.path(); }
    // Everything the process has written so far.
    [[nodiscard]] std::string log() const;
    void send_signal(int signal);
    // Waits for exit; returns the exit code (128+signal if killed), or -1 on timeout.
    int wait_for_exit(std::chrono::milliseconds timeout);

private:
    TempDir data_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace molvault::test
