// docs/openapi.yaml against the binary: every route `molvault routes` prints is described in the
// spec, and every operation the spec describes is a route. The spec is read line by line, so it
// keeps the regular layout: `paths:`, two-space path keys, four-space lowercase method keys.
#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "support/molvault_process.hpp"

namespace molvault::test {
namespace {

constexpr std::string_view kSpecPath = MOLVAULT_SOURCE_DIR "/docs/openapi.yaml";
constexpr std::string_view kPathIndent = "  ";
constexpr std::string_view kMethodIndent = "    ";
constexpr std::array<std::string_view, 8> kMethods = {
    "get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    return text;
}

bool starts_with_indent(std::string_view line, std::string_view indent) {
    return line.starts_with(indent) && line.size() > indent.size() && line[indent.size()] != ' ';
}

// "METHOD /path" for every operation under `paths:`.
std::set<std::string> spec_operations(std::istream& spec) {
    std::set<std::string> operations;
    bool in_paths = false;
    std::string path;
    std::string line;
    while (std::getline(spec, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const std::string_view text = line;
        if (text.empty() || text.find_first_not_of(' ') == std::string_view::npos ||
            text[text.find_first_not_of(' ')] == '#') {
            continue;
        }
        if (text.front() != ' ') {  // a top-level key opens or closes the paths section
            in_paths = text == "paths:";
            path.clear();
            continue;
        }
        if (!in_paths) {
            continue;
        }
        if (starts_with_indent(text, kPathIndent)) {
            const auto key = text.substr(kPathIndent.size());
            path = key.starts_with('/') && key.ends_with(':')
                       ? std::string(key.substr(0, key.size() - 1))
                       : std::string();
            continue;
        }
        if (path.empty() || !starts_with_indent(text, kMethodIndent)) {
            continue;
        }
        const auto key = text.substr(kMethodIndent.size());
        for (const auto method : kMethods) {
            if (key.size() == method.size() + 1 && key.starts_with(method) && key.ends_with(':')) {
                operations.insert(upper(std::string(method)) + " " + path);
            }
        }
    }
    return operations;
}

// "METHOD /path" lines printed by `molvault routes`; log lines (JSON) are skipped.
std::set<std::string> binary_routes(const std::string& output) {
    std::set<std::string> routes;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        const auto space = line.find(' ');
        if (space == std::string::npos || space == 0 || line.compare(space + 1, 1, "/") != 0) {
            continue;
        }
        const auto method = line.substr(0, space);
        if (std::all_of(method.begin(), method.end(), [](unsigned char c) {
                return std::isupper(c) != 0;
            })) {
            routes.insert(line);
        }
    }
    return routes;
}

std::string join(const std::set<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += "\n  " + item;
    }
    return out;
}

TEST(OpenApi, DescribesExactlyTheRoutesTheServerRegisters) {
    const TempDir dir;
    const auto result = run_molvault({"routes"}, base_environment(dir.path(), {}));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const auto routes = binary_routes(result.output);
    ASSERT_FALSE(routes.empty()) << "`molvault routes` printed no routes:\n" << result.output;

    std::ifstream spec{std::string(kSpecPath)};
    ASSERT_TRUE(spec) << "cannot read " << kSpecPath;
    const auto operations = spec_operations(spec);
    ASSERT_FALSE(operations.empty()) << kSpecPath << " has no operations under paths:";

    std::set<std::string> undocumented;
    std::set_difference(
        routes.begin(),
        routes.end(),
        operations.begin(),
        operations.end(),
        std::inserter(undocumented, undocumented.end())
    );
    std::set<std::string> not_routes;
    std::set_difference(
        operations.begin(),
        operations.end(),
        routes.begin(),
        routes.end(),
        std::inserter(not_routes, not_routes.end())
    );
    EXPECT_TRUE(undocumented.empty())
        << "routes missing from docs/openapi.yaml:" << join(undocumented);
    EXPECT_TRUE(not_routes.empty())
        << "docs/openapi.yaml operations that are not routes:" << join(not_routes);
}

TEST(OpenApi, RoutesCommandLeavesOutTestOnlyRoutes) {
    const TempDir dir;
    const auto result = run_molvault({"routes"}, base_environment(dir.path(), {}));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("GET /health\n"), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("/__test/"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace molvault::test
