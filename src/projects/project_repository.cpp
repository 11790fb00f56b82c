#include "projects/project_repository.hpp"

namespace molvault::projects::project_repository {
namespace {

constexpr db::Statement kInsert{
    "projects.insert",
    "INSERT INTO projects (id, owner_id, name, name_key, description, standardize, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
};

constexpr db::Statement kCountByOwner{
    "projects.count_by_owner",
    "SELECT COUNT(*) FROM projects WHERE owner_id = $1",
};

#define MOLVAULT_PROJECT_COLUMNS \
    "id, owner_id, name, description, standardize, created_at, updated_at"

constexpr db::Statement kFind{
    "projects.find",
    "SELECT " MOLVAULT_PROJECT_COLUMNS " FROM projects WHERE id = $1 AND owner_id = $2",
};

constexpr db::Statement kFindOwner{
    "projects.find_owner",
    "SELECT owner_id FROM projects WHERE id = $1",
};

// Keyset pagination over projects_owner_id_created_at_id_idx; row values compare
// lexicographically on both backends (SQLite since 3.15).
constexpr db::Statement kListFirst{
    "projects.list_first",
    "SELECT " MOLVAULT_PROJECT_COLUMNS
    " FROM projects WHERE owner_id = $1 ORDER BY created_at, id LIMIT $2",
};
constexpr db::Statement kListAfter{
    "projects.list_after",
    "SELECT " MOLVAULT_PROJECT_COLUMNS
    " FROM projects WHERE owner_id = $1 AND (created_at, id) > ($3, $4) "
    "ORDER BY created_at, id LIMIT $2",
};

constexpr db::Statement kUpdate{
    "projects.update",
    "UPDATE projects SET name = COALESCE($3, name), name_key = COALESCE($4, name_key), "
    "description = COALESCE($5, description), updated_at = $6 "
    "WHERE id = $1 AND owner_id = $2 RETURNING " MOLVAULT_PROJECT_COLUMNS,
};
#undef MOLVAULT_PROJECT_COLUMNS

constexpr db::Statement kDelete{
    "projects.delete",
    "DELETE FROM projects WHERE id = $1 AND owner_id = $2",
};

Project read_project(const db::Row& row) {
    Project project;
    project.id = ProjectId{row.text(0)};
    project.owner_id = auth::UserId{row.text(1)};
    project.name = row.text(2);
    project.description = row.text(3);
    project.standardize = row.boolean(4);
    project.created_at = row.timestamp(5);
    project.updated_at = row.timestamp(6);
    return project;
}

std::optional<Project> first_project(const db::Result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return read_project(result.rows.front());
}

}  // namespace

void insert(db::Transaction& tx, const Project& project, const std::string& name_key) {
    tx.execute(
        kInsert,
        {project.id.value,
         project.owner_id.value,
         project.name,
         name_key,
         project.description,
         project.standardize,
         project.created_at}
    );
}

std::int64_t count_by_owner(db::Transaction& tx, const auth::UserId& owner) {
    return tx.execute(kCountByOwner, {owner.value}).one().integer(0);
}

std::optional<Project> find(db::Database& db, const ProjectId& id, const auth::UserId& owner) {
    return first_project(db.execute(kFind, {id.value, owner.value}));
}

std::optional<auth::UserId> find_owner(db::Database& db, const ProjectId& id) {
    const auto result = db.execute(kFindOwner, {id.value});
    if (result.empty()) {
        return std::nullopt;
    }
    return auth::UserId{result.rows.front().text(0)};
}

std::vector<Project> list(
    db::Database& db,
    const auth::UserId& owner,
    const std::optional<ProjectPosition>& after,
    std::size_t limit
) {
    const auto count = static_cast<std::int64_t>(limit);
    const auto result =
        after ? db.execute(kListAfter, {owner.value, count, after->created_at, after->id.value})
              : db.execute(kListFirst, {owner.value, count});
    std::vector<Project> projects;
    projects.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        projects.push_back(read_project(row));
    }
    return projects;
}

std::optional<Project> update(
    db::Transaction& tx,
    const ProjectId& id,
    const auth::UserId& owner,
    const ProjectChanges& changes,
    const std::optional<std::string>& name_key,
    db::Timestamp now
) {
    return first_project(tx.execute(
        kUpdate,
        {id.value,
         owner.value,
         db::nullable_text(changes.name),
         db::nullable_text(name_key),
         db::nullable_text(changes.description),
         now}
    ));
}

bool remove(db::Transaction& tx, const ProjectId& id, const auth::UserId& owner) {
    return tx.execute(kDelete, {id.value, owner.value}).affected_rows > 0;
}

}  // namespace molvault::projects::project_repository
