#include "projects/project_service.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "auth/user_repository.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "common/text.hpp"
#include "projects/project_repository.hpp"

namespace molvault::projects {
namespace {

constexpr std::string_view kNotFound = "No such project";
constexpr std::string_view kDuplicateName = "You already have a project with this name";

db::Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

// Uniqueness key: ASCII case-insensitive, exact otherwise (see the header).
std::string name_key(std::string_view trimmed_name) { return ascii_lower(trimmed_name); }

// The id in canonical (lower-case) form: SQLite compares TEXT byte for byte, PostgreSQL's uuid
// type does not care, and both must answer alike.
ProjectId checked_id(const ProjectId& id) {
    if (!is_uuid(id.value)) {
        throw validation_error("project_id", "must be a UUID");
    }
    return ProjectId{ascii_lower(id.value)};
}

Error not_found() { return Error(ErrorCode::kNotFound, std::string(kNotFound)); }

}  // namespace

ProjectService::ProjectService(db::Database& db, TierQuota quota) : db_(db), quota_(quota) {}

Project ProjectService::create(const auth::UserId& owner, const NewProject& project) {
    std::vector<FieldError> problems;
    auto name = check_label(project.name, kMaxNameLength);
    if (!name.problem.empty()) {
        problems.push_back({"name", std::move(name.problem)});
    }
    if (auto problem = check_free_text(project.description, kMaxDescriptionLength);
        !problem.empty()) {
        problems.push_back({"description", std::move(problem)});
    }
    if (!problems.empty()) {
        throw Error(ErrorCode::kValidation, "The request is invalid", std::move(problems));
    }

    Project created;
    created.id = ProjectId{uuid_v4()};
    created.owner_id = owner;
    created.name = std::move(name.text);
    created.description = project.description;
    created.standardize = project.standardize;
    created.created_at = now();
    created.updated_at = created.created_at;

    auto tx = db_.begin();
    const auto tier = auth::user_repository::lock_tier(tx, owner);
    if (!tier) {
        throw Error(ErrorCode::kUnauthorized, "Sign in to use this resource");
    }
    if (const auto limit = quota_.limit_for(*tier)) {
        if (project_repository::count_by_owner(tx, owner) >= *limit) {
            log::info(
                "quota_exceeded",
                {{"user_id", owner.value},
                 {"quota", "projects"},
                 {"tier", *tier},
                 {"limit", *limit}}
            );
            throw Error(
                ErrorCode::kForbidden,
                fmt::format(
                    "Project limit reached: the {} tier allows {} project{}",
                    *tier,
                    *limit,
                    *limit == 1 ? "" : "s"
                )
            );
        }
    }
    try {
        project_repository::insert(tx, created, name_key(created.name));
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorCode::kConflict, std::string(kDuplicateName));
    }
    tx.commit();
    log::info("project_created", {{"user_id", owner.value}, {"project_id", created.id.value}});
    return created;
}

Project ProjectService::get(const auth::UserId& owner, const ProjectId& id) {
    auto project = project_repository::find(db_, checked_id(id), owner);
    if (!project) {
        throw not_found();
    }
    return std::move(*project);
}

auth::UserId ProjectService::owner_of(const ProjectId& id) {
    auto owner = project_repository::find_owner(db_, checked_id(id));
    if (!owner) {
        throw not_found();
    }
    return std::move(*owner);
}

ProjectPage ProjectService::list(
    const auth::UserId& owner, std::size_t limit, const std::optional<ProjectPosition>& after
) {
    if (limit == 0) {
        throw validation_error("limit", "must be at least 1");
    }
    std::optional<ProjectPosition> start;
    if (after) {
        start = ProjectPosition{after->created_at, checked_id(after->id)};
    }
    ProjectPage page;
    // One extra row tells whether another page follows without a second query.
    page.items = project_repository::list(db_, owner, start, limit + 1);
    if (page.items.size() > limit) {
        page.items.resize(limit);
        const auto& last = page.items.back();
        page.next = ProjectPosition{last.created_at, last.id};
    }
    return page;
}

Project ProjectService::update(
    const auth::UserId& owner, const ProjectId& id, const ProjectChanges& changes
) {
    const auto project_id = checked_id(id);
    if (!changes.name && !changes.description) {
        throw validation_error("body", "must set name or description");
    }
    std::vector<FieldError> problems;
    ProjectChanges checked;
    std::optional<std::string> key;
    if (changes.name) {
        auto name = check_label(*changes.name, kMaxNameLength);
        if (name.problem.empty()) {
            key = name_key(name.text);
            checked.name = std::move(name.text);
        } else {
            problems.push_back({"name", std::move(name.problem)});
        }
    }
    if (changes.description) {
        if (auto problem = check_free_text(*changes.description, kMaxDescriptionLength);
            problem.empty()) {
            checked.description = changes.description;
        } else {
            problems.push_back({"description", std::move(problem)});
        }
    }
    if (!problems.empty()) {
        throw Error(ErrorCode::kValidation, "The request is invalid", std::move(problems));
    }

    auto tx = db_.begin();
    std::optional<Project> updated;
    try {
        updated = project_repository::update(tx, project_id, owner, checked, key, now());
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorCode::kConflict, std::string(kDuplicateName));
    }
    if (!updated) {
        throw not_found();
    }
    tx.commit();
    return std::move(*updated);
}

void ProjectService::remove(const auth::UserId& owner, const ProjectId& id) {
    const auto project_id = checked_id(id);
    auto tx = db_.begin();
    if (!project_repository::remove(tx, project_id, owner)) {
        throw not_found();
    }
    tx.commit();
    log::info("project_deleted", {{"user_id", owner.value}, {"project_id", project_id.value}});
}

}  // namespace molvault::projects
