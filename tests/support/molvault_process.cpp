#include "support/molvault_process.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace molvault::test {
namespace {

constexpr std::chrono::seconds kStartTimeout{30};
constexpr std::chrono::seconds kStopTimeout{15};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

pid_t spawn(
    const std::vector<std::string>& args,
    const EnvMap& env,
    const std::filesystem::path& output,
    const std::filesystem::path& input = "/dev/null"
) {
    std::vector<std::string> argv_storage{MOLVAULT_BINARY};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_storage) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (const auto& [key, value] : env) {
        env_storage.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& entry : env_storage) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(
        &actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600
    );
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.c_str(), O_RDONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, MOLVAULT_BINARY, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot start " MOLVAULT_BINARY);
    }
    return pid;
}

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

}  // namespace

TempDir::TempDir() {
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = base / ("molvault-test-" + std::to_string(random()));
        if (std::filesystem::create_directory(candidate)) {
            path_ = std::move(candidate);
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

EnvMap base_environment(const std::filesystem::path& data_dir, const EnvMap& overrides) {
    EnvMap env = {
        {"PATH", "/usr/bin:/bin"},
        {"ENV", "test"},
        {"HOST", "127.0.0.1"},
        {"PORT", "0"},
        {"DATA_DIR", data_dir.string()},
        {"JWT_SECRET_KEY", "test-only-jwt-key-4f9a1c7e2b8d6053a7e1f4c9b2d8e6a0"},
        {"LOG_LEVEL", "debug"},
        {"BCRYPT_ROUNDS", "4"},  // cost 12 only where a test is about the cost
        {"HTTP_WORKERS", "4"},
        {"DB_POOL_SIZE", "4"},
        {"SHUTDOWN_GRACE_MS", "10000"},
    };
    for (const auto& [key, value] : overrides) {
        env[key] = value;
    }
    return env;
}

CommandResult run_molvault(
    const std::vector<std::string>& args, const EnvMap& env, const std::string& input
) {
    const TempDir scratch;
    const auto output = scratch.path() / "output.log";
    const auto input_path = scratch.path() / "input.txt";
    std::ofstream(input_path) << input;
    const pid_t pid = spawn(args, env, output, input_path);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {decode_status(status), read_file(output)};
}

MolvaultProcess::MolvaultProcess(const EnvMap& overrides, std::vector<std::string> args)
    : log_path_(data_.path() / "molvault.log") {
    pid_ = spawn(args, base_environment(data_.path() / "var", overrides), log_path_);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::istringstream lines(log());
        std::string line;
        while (std::getline(lines, line)) {
            const auto event = nlohmann::json::parse(line, nullptr, false);
            if (event.is_object() && event.value("event", "") == "listening") {
                port_ = event.at("port").get<std::uint16_t>();
                return;
            }
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("molvault exited during start-up:\n" + log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("molvault did not start listening in time:\n" + log());
}

MolvaultProcess::~MolvaultProcess() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(kStopTimeout) == -1 && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string MolvaultProcess::log() const { return read_file(log_path_); }

void MolvaultProcess::send_signal(int signal) {
    if (pid_ > 0) {
        ::kill(pid_, signal);
    }
}

int MolvaultProcess::wait_for_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return decode_status(status);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

}  // namespace molvault::test
