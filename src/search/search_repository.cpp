#include "search/search_repository.hpp"

namespace molvault::search::search_repository {
namespace {

// The entry, or the pickle to prepare one from where there is none.
#define MOLVAULT_INDEX_COLUMNS \
    "id, project_id, search_entry, CASE WHEN search_entry IS NULL THEN pickle END"

constexpr db::Statement kLoadFirst{
    "search.load_first",
    "SELECT " MOLVAULT_INDEX_COLUMNS " FROM molecules ORDER BY id LIMIT $1",
};
constexpr db::Statement kLoadAfter{
    "search.load_after",
    "SELECT " MOLVAULT_INDEX_COLUMNS " FROM molecules WHERE id > $2 ORDER BY id LIMIT $1",
};

constexpr db::Statement kCount{
    "search.count_molecules",
    "SELECT COUNT(*) FROM molecules",
};
constexpr db::Statement kFindPickle{
    "search.find_pickle",
    "SELECT pickle FROM molecules WHERE id = $1",
};
constexpr db::Statement kStoreEntry{
    "search.store_entry",
    "UPDATE molecules SET search_entry = $2 WHERE id = $1",
};

// The snapshot, as text (see Snapshot in the header). PostgreSQL: pg_current_snapshot(), the
// statement's own. SQLite: the next seq, as of the statement.
#define MOLVAULT_SNAPSHOT_POSTGRES "pg_current_snapshot()::text"
#define MOLVAULT_SNAPSHOT_SQLITE \
    "CAST((SELECT COALESCE(MAX(seq), 0) + 1 FROM molecule_changes) AS TEXT)"

// The mark and the snapshot, as of the statement's snapshot. PostgreSQL: pg_snapshot_xmin, the
// oldest transaction still running; every change with a smaller xid is committed (or rolled
// back), so visible to this statement and any later one. SQLite: the next seq.
#define MOLVAULT_MARK_POSTGRES                                                \
    "SELECT pg_snapshot_xmin(s)::text::bigint AS value, s::text AS snapshot " \
    "FROM pg_current_snapshot() AS s"
#define MOLVAULT_MARK_SQLITE                                               \
    "SELECT COALESCE(MAX(seq), 0) + 1 AS value, " MOLVAULT_SNAPSHOT_SQLITE \
    " AS snapshot FROM molecule_changes"
constexpr db::Statement kMarkPostgres{"search.change_mark", MOLVAULT_MARK_POSTGRES};
constexpr db::Statement kMarkSqlite{"search.change_mark", MOLVAULT_MARK_SQLITE};

// One round trip: the mark and the snapshot (columns 0 and 1, in every row) and the changes
// after the mark, if any (one row of NULLs after them when there are none). One table and no
// molecule data, so that it is quick to plan (PostgreSQL plans it afresh each time, since its
// best plan depends on the mark) and cheap to read again while an older transaction holds the
// mark back; index_rows() reads the molecules of the changes not applied yet.
#define MOLVAULT_CHANGES(mark, position, filter)                                       \
    "SELECT mark.value, mark.snapshot, c.seq, " position ", c.molecule_id FROM (" mark \
    ") AS mark LEFT JOIN molecule_changes c ON " filter " AND c.seq > $2 ORDER BY c.seq LIMIT $3"
constexpr db::Statement kChangesPostgres{
    "search.changes_since",
    MOLVAULT_CHANGES(MOLVAULT_MARK_POSTGRES, "c.xid::text::bigint", "c.xid >= $1::text::xid8"),
};
constexpr db::Statement kChangesSqlite{
    "search.changes_since",
    MOLVAULT_CHANGES(MOLVAULT_MARK_SQLITE, "c.seq", "c.seq >= $1"),
};
#undef MOLVAULT_CHANGES
#undef MOLVAULT_MARK_POSTGRES
#undef MOLVAULT_MARK_SQLITE

constexpr db::Statement kPrunePostgres{
    "search.prune_changes",
    "DELETE FROM molecule_changes WHERE created_at < now() - make_interval(secs => $1)",
};
constexpr db::Statement kPruneSqlite{
    "search.prune_changes",
    "DELETE FROM molecule_changes WHERE created_at < unixepoch() - $1",
};

// The snapshot (column 0, in every row) and the owner's projects, if any (one row with a NULL
// id when there are none).
#define MOLVAULT_OWNED_PROJECTS(snapshot) \
    "SELECT " snapshot ", p.id FROM (SELECT 1) AS one LEFT JOIN projects p ON p.owner_id = $1"
constexpr db::Statement kOwnedProjectsPostgres{
    "search.owned_projects",
    MOLVAULT_OWNED_PROJECTS(MOLVAULT_SNAPSHOT_POSTGRES),
};
constexpr db::Statement kOwnedProjectsSqlite{
    "search.owned_projects",
    MOLVAULT_OWNED_PROJECTS(MOLVAULT_SNAPSHOT_SQLITE),
};
#undef MOLVAULT_OWNED_PROJECTS
#undef MOLVAULT_SNAPSHOT_POSTGRES
#undef MOLVAULT_SNAPSHOT_SQLITE

// The ids come as one array parameter: PostgreSQL's array literal, SQLite's JSON array.
constexpr db::Statement kIndexRowsPostgres{
    "search.index_rows",
    "SELECT " MOLVAULT_INDEX_COLUMNS " FROM molecules WHERE id = ANY($1::uuid[])",
};
constexpr db::Statement kIndexRowsSqlite{
    "search.index_rows",
    "SELECT " MOLVAULT_INDEX_COLUMNS
    " FROM molecules WHERE id IN (SELECT value FROM json_each($1))",
};
#undef MOLVAULT_INDEX_COLUMNS

constexpr db::Statement kSummariesPostgres{
    "search.summaries",
    "SELECT id, name, canonical_smiles FROM molecules WHERE id = ANY($1::uuid[])",
};
constexpr db::Statement kSummariesSqlite{
    "search.summaries",
    "SELECT id, name, canonical_smiles FROM molecules WHERE id IN "
    "(SELECT value FROM json_each($1))",
};

IndexRow index_row(const db::Row& row, std::size_t first) {
    return {
        row.text(first),
        row.text(first + 1),
        row.optional_text(first + 2),
        row.optional_text(first + 3),
    };
}

const db::Statement& by_backend(
    const db::Database& db, const db::Statement& postgres, const db::Statement& sqlite
) {
    return db.backend() == db::Backend::kPostgres ? postgres : sqlite;
}

// `ids` as one parameter: PostgreSQL's array literal, SQLite's JSON array. The ids are
// canonical UUIDs (from the index or the database), so they need no escaping in either form.
std::string id_list(const db::Database& db, std::span<const std::string> ids) {
    const bool postgres = db.backend() == db::Backend::kPostgres;
    std::string list = postgres ? "{" : "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) {
            list += ',';
        }
        list += postgres ? ids[i] : '"' + ids[i] + '"';
    }
    list += postgres ? "}" : "]";
    return list;
}

}  // namespace

std::vector<IndexRow> load_page(
    db::Database& db, const std::optional<std::string>& after_id, std::size_t limit
) {
    const auto count = static_cast<std::int64_t>(limit);
    const auto result =
        after_id ? db.execute(kLoadAfter, {count, *after_id}) : db.execute(kLoadFirst, {count});
    std::vector<IndexRow> rows;
    rows.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        rows.push_back(index_row(row, 0));
    }
    return rows;
}

std::size_t count_molecules(db::Database& db) {
    return static_cast<std::size_t>(db.execute(kCount).one().integer(0));
}

std::optional<std::string> find_pickle(db::Database& db, const std::string& id) {
    const auto result = db.execute(kFindPickle, {id});
    if (result.empty()) {
        return std::nullopt;
    }
    return result.rows.front().blob(0);
}

void store_entry(db::Database& db, const std::string& id, const std::string& entry) {
    (void)db.execute(kStoreEntry, {id, db::Blob{entry}});
}

ChangeMark change_mark(db::Database& db) {
    return db.execute(by_backend(db, kMarkPostgres, kMarkSqlite)).one().integer(0);
}

ChangePage changes_since(
    db::Database& db, ChangeMark from, std::int64_t after_seq, std::size_t limit
) {
    const auto result = db.execute(
        by_backend(db, kChangesPostgres, kChangesSqlite),
        {from, after_seq, static_cast<std::int64_t>(limit)}
    );
    ChangePage page;
    page.mark = result.rows.at(0).integer(0);
    page.snapshot = result.rows.at(0).text(1);
    for (const auto& row : result.rows) {
        if (row.is_null(2)) {
            continue;  // no changes: only the mark
        }
        page.changes.push_back({row.integer(2), row.integer(3), row.text(4)});
    }
    return page;
}

std::vector<IndexRow> index_rows(db::Database& db, std::span<const std::string> ids) {
    if (ids.empty()) {
        return {};
    }
    const auto result =
        db.execute(by_backend(db, kIndexRowsPostgres, kIndexRowsSqlite), {id_list(db, ids)});
    std::vector<IndexRow> rows;
    rows.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        rows.push_back(index_row(row, 0));
    }
    return rows;
}

std::int64_t prune_changes(db::Database& db, std::chrono::seconds retention) {
    return db
        .execute(
            by_backend(db, kPrunePostgres, kPruneSqlite),
            {static_cast<std::int64_t>(retention.count())}
        )
        .affected_rows;
}

OwnedProjects owned_projects(db::Database& db, const auth::UserId& owner) {
    const auto result =
        db.execute(by_backend(db, kOwnedProjectsPostgres, kOwnedProjectsSqlite), {owner.value});
    OwnedProjects owned;
    owned.snapshot = result.rows.at(0).text(0);
    for (const auto& row : result.rows) {
        if (!row.is_null(1)) {
            owned.ids.push_back(row.text(1));
        }
    }
    return owned;
}

std::vector<HitSummary> summaries(db::Database& db, std::span<const std::string> ids) {
    if (ids.empty()) {
        return {};
    }
    std::vector<HitSummary> found;
    for (const auto& row :
         db.execute(by_backend(db, kSummariesPostgres, kSummariesSqlite), {id_list(db, ids)})
             .rows) {
        found.push_back({row.text(0), row.text(1), row.text(2)});
    }
    return found;
}

}  // namespace molvault::search::search_repository
