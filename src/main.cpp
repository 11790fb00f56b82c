// molvault: one binary for the HTTP service and its operator commands.
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"

int main(int argc, char** argv) {
    CLI::App cli{"molvault: a secure, fast store for molecules"};
    cli.require_subcommand(1);
    std::string env_file = ".env";
    cli.add_option("--env-file", env_file, "Read settings from this .env file")
        ->capture_default_str();

    bool migrate_on_start = false;
    auto* serve = cli.add_subcommand("serve", "Serve the HTTP API");
    serve->add_flag("--migrate", migrate_on_start, "Apply pending migrations before serving");

    auto* check = cli.add_subcommand("check-config", "Validate the settings and exit");
    auto* routes = cli.add_subcommand("routes", "Print every HTTP route (METHOD PATTERN), sorted");

    auto* migrate = cli.add_subcommand("migrate", "Apply, revert or show schema migrations");
    std::optional<int> target;
    auto* up = migrate->add_subcommand("up", "Apply pending migrations (the default)");
    up->add_option("--to", target, "Stop at this version");
    auto* down = migrate->add_subcommand("down", "Revert migrations");
    down->add_option("--to", target, "Revert until the schema is at this version")->required();
    auto* status = migrate->add_subcommand("status", "Show the applied and latest version");

    std::string email;
    auto* create_admin = cli.add_subcommand("create-admin", "Create an admin (password on stdin)");
    create_admin->add_option("--email", email, "The admin's email address")->required();
    auto* revoke = cli.add_subcommand("revoke-sessions", "Revoke every session of a user");
    revoke->add_option("--email", email, "The user's email address")->required();
    auto* cleanup = cli.add_subcommand("cleanup", "Delete expired and revoked tokens");
    std::string tier;
    auto* set_tier = cli.add_subcommand("set-tier", "Change a user's tier (and so their quotas)");
    set_tier->add_option("--email", email, "The user's email address")->required();
    set_tier->add_option("--tier", tier, "free, pro or enterprise")->required();

    std::string project;
    std::optional<std::string> format;
    std::string file;
    auto* import = cli.add_subcommand("import", "Add the molecules of an SDF, SMILES or CSV file");
    import->add_option("--project", project, "The project's id")->required();
    import->add_option("--format", format, "sdf, smiles or csv (default: from the file name)");
    import->add_option("FILE", file, "The file to import")->required();

    CLI11_PARSE(cli, argc, argv);

    try {
        const auto variables = molvault::config::Variables::from_process(env_file);
        if (serve->parsed()) {
            return molvault::app::run_serve(variables, migrate_on_start);
        }
        if (check->parsed()) {
            return molvault::app::run_check_config(variables);
        }
        if (routes->parsed()) {
            return molvault::app::run_routes(variables);
        }
        if (create_admin->parsed()) {
            return molvault::app::run_create_admin(variables, email);
        }
        if (revoke->parsed()) {
            return molvault::app::run_revoke_sessions(variables, email);
        }
        if (set_tier->parsed()) {
            return molvault::app::run_set_tier(variables, email, tier);
        }
        if (import->parsed()) {
            return molvault::app::run_import(variables, project, format, file);
        }
        if (cleanup->parsed()) {
            return molvault::app::run_cleanup(variables);
        }
        if (migrate->parsed()) {
            using molvault::app::MigrateAction;
            const auto action = down->parsed()     ? MigrateAction::kDown
                                : status->parsed() ? MigrateAction::kStatus
                                                   : MigrateAction::kUp;
            return molvault::app::run_migrate(variables, action, target);
        }
    } catch (const std::exception& error) {
        std::cerr << "molvault: " << error.what() << '\n';
        return 1;
    }
    return 0;
}
