#pragma once
// HTTP for the projects feature; every route needs a signed-in caller (401 otherwise) and acts
// only on the caller's own projects:
//   POST   /api/v1/projects                 201 the project
//   GET    /api/v1/projects                 200 {"items": [...], "next_cursor": ...}
//   GET    /api/v1/projects/{project_id}    200 the project
//   PATCH  /api/v1/projects/{project_id}    200 the project (name, description only)
//   DELETE /api/v1/projects/{project_id}    204
// A project is answered as {id, name, description, standardize, created_at, updated_at}, built
// field by field: the owner is always the caller, so owner_id is left out. Bodies are strict
// whitelists (unknown fields → 422). The service must outlive the router.

#include "http/router.hpp"
#include "projects/project_service.hpp"

namespace molvault::projects {

void add_project_routes(http::Router& router, ProjectService& projects);

}  // namespace molvault::projects
