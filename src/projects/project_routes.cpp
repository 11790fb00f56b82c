#include "projects/project_routes.hpp"

#include <string>

#include "auth/auth_routes.hpp"
#include "common/error.hpp"
#include "common/random.hpp"
#include "db/timestamp.hpp"
#include "http/json.hpp"
#include "http/paging.hpp"

namespace molvault::projects {
namespace {

// A listing cursor's position text: "<created_at>,<id>" (created_at in the canonical
// timestamp form, which has no comma).
constexpr char kPositionSeparator = ',';

auth::UserId caller(const http::Request& request) {
    return auth::UserId{auth::require_auth(request).user_id};
}

ProjectId path_id(const http::Request& request) {
    return ProjectId{request.path_param("project_id")};
}

nlohmann::json project_json(const Project& project) {
    return {
        {"id", project.id.value},
        {"name", project.name},
        {"description", project.description},
        {"standardize", project.standardize},
        {"created_at", db::format_timestamp(project.created_at)},
        {"updated_at", db::format_timestamp(project.updated_at)},
    };
}

std::string encode_position(const ProjectPosition& position) {
    return db::format_timestamp(position.created_at) + kPositionSeparator + position.id.value;
}

// The service checks the id; here only the shape of the text.
ProjectPosition decode_position(const std::string& text) {
    const auto separator = text.find(kPositionSeparator);
    if (separator == std::string::npos) {
        throw http::invalid_cursor();
    }
    const auto created_at = db::parse_timestamp(std::string_view(text).substr(0, separator));
    if (!created_at) {
        throw http::invalid_cursor();
    }
    ProjectId id{text.substr(separator + 1)};
    if (!is_uuid(id.value)) {
        throw http::invalid_cursor();
    }
    return {*created_at, std::move(id)};
}

}  // namespace

void add_project_routes(http::Router& router, ProjectService& projects) {
    router.post("/api/v1/projects", [&projects](const http::Request& request) {
        const auto owner = caller(request);
        const auto body = http::parse_json_object(request);
        http::reject_unknown_fields(body, {"name", "description", "standardize"});
        NewProject project;
        project.name = http::required_string_field(body, "name");
        project.description = http::optional_string_field(body, "description").value_or("");
        project.standardize = http::optional_bool_field(body, "standardize").value_or(true);
        return http::json_response(
            http::status::kCreated, project_json(projects.create(owner, project))
        );
    });

    router.get("/api/v1/projects", [&projects](const http::Request& request) {
        const auto owner = caller(request);
        const auto page = http::page_request(request);
        std::optional<ProjectPosition> after;
        if (page.position) {
            after = decode_position(*page.position);
        }
        const auto result = projects.list(owner, page.limit, after);
        auto items = nlohmann::json::array();
        for (const auto& project : result.items) {
            items.push_back(project_json(project));
        }
        std::optional<std::string> next;
        if (result.next) {
            next = encode_position(*result.next);
        }
        return http::page_response(std::move(items), next);
    });

    router.get("/api/v1/projects/{project_id}", [&projects](const http::Request& request) {
        const auto owner = caller(request);
        return http::json_response(
            http::status::kOk, project_json(projects.get(owner, path_id(request)))
        );
    });

    router.patch("/api/v1/projects/{project_id}", [&projects](const http::Request& request) {
        const auto owner = caller(request);
        const auto body = http::parse_json_object(request);
        http::reject_unknown_fields(body, {"name", "description"});
        ProjectChanges changes;
        changes.name = http::optional_string_field(body, "name");
        changes.description = http::optional_string_field(body, "description");
        return http::json_response(
            http::status::kOk, project_json(projects.update(owner, path_id(request), changes))
        );
    });

    router.del("/api/v1/projects/{project_id}", [&projects](const http::Request& request) {
        const auto owner = caller(request);
        projects.remove(owner, path_id(request));
        http::Response response;
        response.status = http::status::kNoContent;
        return response;
    });
}

}  // namespace molvault::projects
