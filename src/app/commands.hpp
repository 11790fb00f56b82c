#pragma once
// The CLI subcommands of the molvault binary, one function each; main.cpp only parses
// arguments and calls these. Each returns the process exit code and reports problems on
// stderr (never a secret). Not thread-safe: run from the main thread.

#include <optional>
#include <string>

#include "config/settings.hpp"

namespace molvault::app {

// Prints "Config valid" or each problem; exit 0 or 1.
int run_check_config(const config::Variables& variables);

// Serves HTTP. Refuses to start (exit 1) on invalid settings, and (exit 2) when the schema is
// out of date, unless `migrate` is set, in which case pending migrations are applied first.
int run_serve(const config::Variables& variables, bool migrate);

// Prints "METHOD PATTERN" for every route the server would register, one per line, sorted;
// test-only routes (/__test/...) are left out. Opens the database (as serve does) but neither
// migrates nor checks the schema, and never listens. Exit 0, or 1 on invalid settings.
int run_routes(const config::Variables& variables);

enum class MigrateAction { kUp, kDown, kStatus };

// `migrate up [--to N]`, `migrate down --to N`, `migrate status`, run against
// MIGRATION_DATABASE_URL (default DATABASE_URL). Reports each step and its duration.
int run_migrate(const config::Variables& variables, MigrateAction action, std::optional<int> to);

// `create-admin --email E`: the password is read from standard input (one line; a prompt
// without echo when stdin is a terminal). Enforces the password policy. Exit 1 on refusal.
int run_create_admin(const config::Variables& variables, const std::string& email);

// `revoke-sessions --email E`: revokes every refresh token of the user and refuses their
// access tokens issued so far: they must sign in again at once. Exit 1 when no such user exists.
int run_revoke_sessions(const config::Variables& variables, const std::string& email);

// `set-tier --email E --tier T`: gives the user tier T (free, pro or enterprise; anything else
// is refused), recorded as the audit event `tier_changed`. Exit 1 on refusal or when no such
// user exists.
int run_set_tier(
    const config::Variables& variables, const std::string& email, const std::string& tier
);

// `import --project P [--format F] FILE`: adds the molecules of an SDF, SMILES or CSV file to
// project P on behalf of its owner, as the upload route does (same rules, quota and batches).
// The format comes from --format or the file's extension. Prints one line per failed record to
// stderr and a summary to stdout. Exit 0 when every record was processed (some may have been
// refused), 1 when the import could not run or stopped early.
int run_import(
    const config::Variables& variables,
    const std::string& project,
    const std::optional<std::string>& format_name,
    const std::string& path
);

// `cleanup`: deletes expired and long-revoked refresh tokens and expired denied token ids
// (the same job `serve` runs daily).
int run_cleanup(const config::Variables& variables);

}  // namespace molvault::app
