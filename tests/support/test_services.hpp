#pragma once
// Where the test servers started by scripts/test-services.sh listen (read from the services.env
// file the ctest setup fixture writes). Thread-safe: read once, immutable.

#include <string>

namespace molvault::test {

struct TestServices {
    std::string pg_admin_url;  // superuser connection to the maintenance database
    std::string pg_host;
    std::string pg_port;
    std::string redis_url;
    std::string smtp_host;
    std::string smtp_port;
    std::string smtp_dir;  // the sink writes one file per received message here
};

// Throws std::runtime_error if the services file is missing (the fixture did not run).
[[nodiscard]] const TestServices& test_services();

}  // namespace molvault::test
