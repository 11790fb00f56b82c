#include "app/commands.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include "app/app.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "config/database_url.hpp"
#include "db/migrator.hpp"
#include "molecules/molecule_file_reader.hpp"
#include "molecules/molecule_transfer.hpp"

namespace molvault::app {
namespace {

constexpr int kExitInvalidConfig = 1;
constexpr int kExitSchemaOutOfDate = 2;
// Routes under this prefix exist only with ENV=test and are not part of the API.
constexpr std::string_view kTestRoutePrefix = "/__test/";

std::optional<config::Settings> load_or_report(const config::Variables& variables) {
    auto loaded = config::load_settings(variables);
    if (!loaded.problems.empty()) {
        std::cerr << "Configuration problems:\n";
        for (const auto& problem : loaded.problems) {
            std::cerr << "  - " << problem << '\n';
        }
        return std::nullopt;
    }
    log::Level level = log::Level::kInfo;
    if (log::parse_level(loaded.settings.log_level, level)) {
        log::init(level);
    }
    return std::move(loaded.settings);
}

void print_steps(const std::vector<db::MigrationStep>& steps, std::string_view verb) {
    for (const auto& step : steps) {
        std::cout << fmt::format(
            "{} {:04}_{} in {:.1f} ms\n",
            verb,
            step.version,
            step.name,
            static_cast<double>(step.duration.count()) / 1000.0
        );
    }
    if (steps.empty()) {
        std::cout << "Nothing to do\n";
    }
}

// Applies pending migrations through MIGRATION_DATABASE_URL and grants the app role.
std::vector<db::MigrationStep> migrate_up(const config::Settings& settings, std::optional<int> to) {
    const auto database =
        db::Database::open(database_options(settings, settings.migration_database_url));
    db::Migrator migrator(*database);
    auto steps = migrator.up(to);
    if (!settings.db_app_role.empty()) {
        migrator.grant_app_role(settings.db_app_role);
    }
    return steps;
}

// Loads settings (with development secrets) and builds the App for a one-shot command; refuses
// an out-of-date schema.
void print_error(const Error& error) {
    std::cerr << error.what() << '\n';
    for (const auto& field : error.fields()) {
        std::cerr << "  - " << field.field << ": " << field.message << '\n';
    }
}

std::unique_ptr<App> open_app(const config::Variables& variables) {
    auto settings = load_or_report(variables);
    if (!settings) {
        return nullptr;
    }
    config::ensure_development_secret(*settings);
    auto app = std::make_unique<App>(std::move(*settings));
    if (!db::Migrator(app->database()).status().pending.empty()) {
        std::cerr << "The database schema is out of date: run `molvault migrate` first.\n";
        return nullptr;
    }
    return app;
}

std::string read_password() {
    const bool terminal = ::isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (terminal) {
        std::cerr << "Password: " << std::flush;
        ::tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << '\n';
    }
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    return password;
}

}  // namespace

int run_create_admin(const config::Variables& variables, const std::string& email) {
    const auto app = open_app(variables);
    if (!app) {
        return kExitInvalidConfig;
    }
    const auto password = read_password();
    try {
        const auto user = app->auth().create_admin(email, password);
        std::cout << "Created admin " << user.email << " (" << user.id.value << ")\n";
        return 0;
    } catch (const Error& error) {
        print_error(error);
        return 1;
    }
}

int run_revoke_sessions(const config::Variables& variables, const std::string& email) {
    const auto app = open_app(variables);
    if (!app) {
        return kExitInvalidConfig;
    }
    const auto revoked = app->auth().revoke_sessions(email);
    if (!revoked) {
        std::cerr << "No user has that email address\n";
        return 1;
    }
    std::cout << "Revoked " << *revoked << " refresh token(s)\n";
    return 0;
}

int run_set_tier(
    const config::Variables& variables, const std::string& email, const std::string& tier
) {
    const auto app = open_app(variables);
    if (!app) {
        return kExitInvalidConfig;
    }
    try {
        const auto user = app->auth().set_tier(email, tier);
        if (!user) {
            std::cerr << "No user has that email address\n";
            return 1;
        }
        std::cout << "Set the tier of " << user->email << " to " << user->tier << '\n';
        return 0;
    } catch (const Error& error) {
        print_error(error);
        return 1;
    }
}

int run_import(
    const config::Variables& variables,
    const std::string& project,
    const std::optional<std::string>& format_name,
    const std::string& path
) {
    const auto format = molecules::molecule_file_format_from_name(format_name.value_or(path));
    if (!format) {
        std::cerr << "Name the format with --format sdf|smiles|csv (the file name does not say)\n";
        return 1;
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        std::cerr << "Cannot open " << path << '\n';
        return 1;
    }
    const auto app = open_app(variables);
    if (!app) {
        return kExitInvalidConfig;
    }
    try {
        const projects::ProjectId project_id{project};
        const auto owner = app->projects().owner_of(project_id);
        molecules::MoleculeFileReader reader(file, *format);
        const auto report =
            molecules::import_molecules(app->molecules(), owner, project_id, reader);
        for (const auto& row : report.rows) {
            if (row.error) {
                std::cerr << fmt::format(
                    "record {} (line {}): {}\n", row.record, row.line, row.error->message
                );
            }
        }
        std::cout << fmt::format(
            "Imported {} molecule(s); {} record(s) failed\n", report.created, report.failed
        );
        if (report.stopped_by) {
            std::cerr << "The import stopped early: ";
            print_error(*report.stopped_by);
            return 1;
        }
        return 0;
    } catch (const Error& error) {
        print_error(error);
        return 1;
    }
}

int run_cleanup(const config::Variables& variables) {
    const auto app = open_app(variables);
    if (!app) {
        return kExitInvalidConfig;
    }
    const auto counts = app->auth().cleanup();
    std::cout << fmt::format(
        "Deleted {} refresh token(s) and {} denied access token id(s); cleared {} sealed "
        "successor(s)\n",
        counts.refresh_tokens,
        counts.denied_access_tokens,
        counts.sealed_successors
    );
    return 0;
}

int run_check_config(const config::Variables& variables) {
    if (!load_or_report(variables)) {
        return kExitInvalidConfig;
    }
    std::cout << "Config valid\n";
    return 0;
}

int run_serve(const config::Variables& variables, bool migrate) {
    auto settings = load_or_report(variables);
    if (!settings) {
        std::cerr << "Refusing to start.\n";
        return kExitInvalidConfig;
    }
    config::ensure_development_secret(*settings);
    if (settings->env != config::Environment::kProduction) {
        log::warn(
            "development_mode",
            {{"env", config::environment_name(settings->env)},
             {"data_dir", settings->data_dir.string()},
             {"generated_secret", settings->jwt_secret_generated},
             {"note", "not for production: set ENV=production and real secrets"}}
        );
    }
    if (migrate) {
        migrate_up(*settings, std::nullopt);
    }
    App app(std::move(*settings));
    const auto status = db::Migrator(app.database()).status();
    if (!status.pending.empty()) {
        log::error(
            "schema_out_of_date",
            {{"current_version", status.current_version},
             {"latest_version", status.latest_version},
             {"hint", "run `molvault migrate` or start with `serve --migrate`"}}
        );
        return kExitSchemaOutOfDate;
    }
    return app.serve();
}

int run_routes(const config::Variables& variables) {
    auto settings = load_or_report(variables);
    if (!settings) {
        return kExitInvalidConfig;
    }
    config::ensure_development_secret(*settings);  // the App is built exactly as serve builds it
    const App app(std::move(*settings));
    std::vector<std::string> lines;
    for (const auto& route : app.router().routes()) {
        if (route.pattern.starts_with(kTestRoutePrefix)) {
            continue;
        }
        lines.push_back(route.method + " " + route.pattern);
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& line : lines) {
        std::cout << line << '\n';
    }
    return 0;
}

int run_migrate(const config::Variables& variables, MigrateAction action, std::optional<int> to) {
    const auto settings = load_or_report(variables);
    if (!settings) {
        return kExitInvalidConfig;
    }
    std::cout << "Database: " << config::redact_database_url(settings->migration_database_url)
              << '\n';
    switch (action) {
        case MigrateAction::kUp:
            print_steps(migrate_up(*settings, to), "Applied");
            return 0;
        case MigrateAction::kDown: {
            const auto database =
                db::Database::open(database_options(*settings, settings->migration_database_url));
            print_steps(db::Migrator(*database).down(to.value_or(0)), "Reverted");
            return 0;
        }
        case MigrateAction::kStatus: {
            const auto database =
                db::Database::open(database_options(*settings, settings->migration_database_url));
            const auto status = db::Migrator(*database).status();
            std::cout << fmt::format(
                "Current version: {}\nLatest version: {}\n",
                status.current_version,
                status.latest_version
            );
            for (const auto& pending : status.pending) {
                std::cout << fmt::format("Pending: {:04}_{}\n", pending.version, pending.name);
            }
            return 0;
        }
    }
    return 0;
}

}  // namespace molvault::app
