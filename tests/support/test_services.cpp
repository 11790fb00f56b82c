#include "support/test_services.hpp"

#include <fstream>
#include <map>
#include <stdexcept>

namespace molvault::test {
namespace {

TestServices read_services() {
    std::ifstream in(MOLVAULT_TEST_SERVICES_FILE);
    if (!in) {
        throw std::runtime_error("test services are not running: " MOLVAULT_TEST_SERVICES_FILE
                                 " is missing (run the tests through ctest)");
    }
    std::map<std::string, std::string> values;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) {
            values[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    TestServices services;
    services.pg_host = values["PG_HOST"];
    services.pg_port = values["PG_PORT"];
    services.pg_admin_url =
        "postgresql://postgres@" + services.pg_host + ":" + services.pg_port + "/postgres";
    services.redis_url = values["REDIS_URL"];
    services.smtp_host = values["SMTP_HOST"];
    services.smtp_port = values["SMTP_PORT"];
    services.smtp_dir = values["SMTP_DIR"];
    return services;
}

}  // namespace

const TestServices& test_services() {
    static const TestServices kServices = read_services();
    return kServices;
}

}  // namespace molvault::test
