#pragma once
// SQL for structure search: what the in-memory index loads at start-up and reads from the
// change log (migration 0006) to stay current, and what a search answer needs from the
// database. Stateless functions over a Database; db:: errors propagate.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "db/database.hpp"

namespace molvault::search::search_repository {

// A molecule as the index stores it: its stored entry, or, where there is none (molecules
// written before migration 0006), its pickle to prepare one from.
struct IndexRow {
    std::string molecule_id;
    std::string project_id;
    std::optional<std::string> search_entry;
    std::optional<std::string> pickle;  // set only when search_entry is NULL
};

// Up to `limit` molecules after `after_id` in id order (from the start when nullopt).
[[nodiscard]] std::vector<IndexRow> load_page(
    db::Database& db, const std::optional<std::string>& after_id, std::size_t limit
);

// How many molecules there are.
[[nodiscard]] std::size_t count_molecules(db::Database& db);

// The pickle of one molecule, when it still exists.
[[nodiscard]] std::optional<std::string> find_pickle(db::Database& db, const std::string& id);

// Stores a molecule's index entry (prepared again after a missing or outdated one).
void store_entry(db::Database& db, const std::string& id, const std::string& entry);

// A position in the change log, comparable across polls: on PostgreSQL a transaction id (the
// oldest transaction still running: every change of an older one is committed or gone), on
// SQLite a seq (writers are serialised, so seqs commit in order).
using ChangeMark = std::int64_t;

// Where the next poll must start reading so that it misses nothing committed after now.
[[nodiscard]] ChangeMark change_mark(db::Database& db);

// What had been committed as of a read, comparable across reads on any connection: two reads
// with equal snapshots saw exactly the same changes. PostgreSQL: pg_current_snapshot() as text
// ("xmin:xmax:running xids"): equal texts mean that the same transactions had committed. It
// covers the whole server, so it changes whenever any transaction that wrote anything ends.
// SQLite: the next seq (writers are serialised and seqs are never reused, so it grows with
// every committed change).
using Snapshot = std::string;

// One change-log row: a molecule was inserted or deleted (index_rows() says which it is now).
struct Change {
    std::int64_t seq = 0;
    ChangeMark mark = 0;  // the row's position as change_mark() counts (xid, or seq)
    std::string molecule_id;
};

struct ChangePage {
    ChangeMark mark = 0;  // change_mark() as of the read: where the next poll must start
    Snapshot snapshot;    // as of the read
    std::vector<Change> changes;
};

// Up to `limit` changes at or after `from`, with seq > `after_seq`, in seq order, and the mark
// and snapshot as of the same read (one round trip).
[[nodiscard]] ChangePage changes_since(
    db::Database& db, ChangeMark from, std::int64_t after_seq, std::size_t limit
);

// The molecules of `ids` that exist now (any order; those gone are left out).
[[nodiscard]] std::vector<IndexRow> index_rows(db::Database& db, std::span<const std::string> ids);

// Deletes change-log rows older than `retention`; returns how many.
std::int64_t prune_changes(db::Database& db, std::chrono::seconds retention);

struct OwnedProjects {
    std::vector<std::string> ids;
    Snapshot snapshot;  // as of the same read
};

// The ids of the owner's projects, and the snapshot as of the same read (one round trip: a
// search needs both).
[[nodiscard]] OwnedProjects owned_projects(db::Database& db, const auth::UserId& owner);

// What a search hit shows of its molecule.
struct HitSummary {
    std::string molecule_id;
    std::string name;
    std::string canonical_smiles;
};

// The summaries of those of `ids` that exist (any order; at most a page of ids).
[[nodiscard]] std::vector<HitSummary> summaries(db::Database& db, std::span<const std::string> ids);

}  // namespace molvault::search::search_repository
