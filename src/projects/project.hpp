#pragma once
// Value types of the projects feature. Plain data with no invariants of their own: the
// service enforces the rules (trimmed names, lengths, ownership) before anything is stored.

#include <optional>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "db/database.hpp"

namespace molvault::projects {

struct ProjectId {
    std::string value;  // a canonical lower-case UUID once the service has checked it
    auto operator<=>(const ProjectId&) const = default;
};

struct Project {
    ProjectId id;
    auth::UserId owner_id;
    std::string name;         // trimmed, as the user typed it
    std::string description;  // as given
    bool standardize = true;  // chosen at creation, fixed afterwards (see ProjectService)
    db::Timestamp created_at;
    db::Timestamp updated_at;
};

// What a client chooses when creating a project; everything else is the server's.
struct NewProject {
    std::string name;
    std::string description;
    bool standardize = true;
};

// A partial update: only the fields that are set change.
struct ProjectChanges {
    std::optional<std::string> name;
    std::optional<std::string> description;
};

// A place in one owner's listing, which is ordered by (created_at, id).
struct ProjectPosition {
    db::Timestamp created_at;
    ProjectId id;
};

struct ProjectPage {
    std::vector<Project> items;
    std::optional<ProjectPosition> next;  // where the next page starts; nullopt on the last
};

}  // namespace molvault::projects
