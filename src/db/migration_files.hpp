#pragma once
// The SQL migration files embedded into the binary at build time
// (cmake/GenerateMigrations.cmake). Paths look like "postgres/0001_users.up.sql".

#include <string_view>
#include <vector>

namespace molvault::db {

struct EmbeddedFile {
    std::string_view path;
    std::string_view contents;
};

[[nodiscard]] const std::vector<EmbeddedFile>& embedded_migration_files();

}  // namespace molvault::db
