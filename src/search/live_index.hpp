#pragma once
// LiveIndex: the structure search index of this instance (chem::SearchIndex), loaded from the
// database and kept current with it, whichever instance wrote.
//
// Its own thread (from start()) loads every molecule's stored entry at start-up (restored on all
// cores, in pages, while the server already answers other routes; index() is null until then), then
// polls the change log (migration 0006) every poll interval and applies each poll's changes
// as one insert and one remove. A change names a molecule; the poll reads its current state
// (gone, or its entry), so reading a change twice is harmless, and the poll re-reads from the
// oldest transaction that was still running at the previous poll: a transaction that commits
// after a later one is never missed (search_repository::change_mark). Molecules without a
// stored entry (written before 0006) or with one from another RDKit version are prepared from
// their pickle and the entry written back.
//
// A search calls catch_up() first, so it sees every molecule committed before it began. It
// passes the database's snapshot, read after it began (search_repository::Snapshot): when that
// equals the snapshot of the last poll, nothing was committed in between, the index already
// holds every change the snapshot shows, and the search needs no poll of its own. Any write
// that ended on the database server (on SQLite, any change logged) makes the snapshots
// differ, and the search then waits for a poll.
//
// Failures (database down) are logged and retried on the next tick; an instance that could not
// poll for half the change-log retention has perhaps lost changes to pruning, so it loads the
// whole index again and swaps it in. It also prunes the change log about once a minute.
//
// Thread-safety: thread-safe; index() may be called from any thread, and the index it returns
// stays valid while the caller holds it (a reload swaps in a new one).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "chem/search_index.hpp"
#include "db/database.hpp"
#include "search/search_repository.hpp"

namespace molvault::search {

struct LiveIndexOptions {
    chem::SearchIndexOptions index;  // its match_store is replaced as below
    // Fixed, or nullopt to choose at each load: parsed molecules when the database holds at
    // most parsed_max molecules, else pickles (memory, and start-up time, against the speed of
    // broad substructure queries: docs/operations.md).
    std::optional<chem::MatchStore> match_store;
    std::size_t parsed_max = 300'000;
    std::chrono::milliseconds poll_interval{250};
    std::chrono::seconds change_retention{3600};
};

class LiveIndex {
public:
    // Idle until start(): a process that does not serve (a CLI command) loads nothing.
    LiveIndex(db::Database& db, LiveIndexOptions options);
    LiveIndex(const LiveIndex&) = delete;
    LiveIndex& operator=(const LiveIndex&) = delete;
    ~LiveIndex();  // stops the thread (a load in progress stops at its next page)

    // Starts the thread: the load, then the polls. Call once.
    void start();

    // The index, or null until the first load is done.
    [[nodiscard]] std::shared_ptr<const chem::SearchIndex> index() const;

    // Wakes the poller and waits until a poll that started after this call has finished, or
    // until `deadline`: the index then holds every change committed before the call, on any
    // instance. Concurrent callers share one poll. False when the deadline came first.
    bool catch_up(std::chrono::steady_clock::time_point deadline);
    // The same, but at once (true) when `seen`, a snapshot read after the call began, equals
    // the snapshot of the last poll applied: then every change it shows is in the index. Else,
    // when no poll is running, the caller's thread reads the change log itself, and if it finds
    // nothing to apply that read counts as the poll (no wait for the poller's thread).
    bool catch_up(
        const search_repository::Snapshot& seen, std::chrono::steady_clock::time_point deadline
    );

    // Grows whenever the index changes (a poll applied changes, or a load): equal values mean
    // equal contents.
    [[nodiscard]] std::uint64_t generation() const { return generation_.load(); }

private:
    void run();
    // Reads every molecule into a new index and swaps it in; false when stopped half-way.
    bool load();
    // Applies the changes since the last poll, a page at a time.
    void poll();
    // Inserts the molecules present (restoring their entries) and removes those gone.
    void apply(std::unordered_map<std::string, std::optional<search_repository::IndexRow>>& latest);
    // The entries of `rows`, restored (or prepared) on every core; rows that cannot be read
    // are logged and left out.
    [[nodiscard]] std::vector<chem::PreparedEntry> prepare_rows(
        const chem::SearchIndex& index, const std::vector<search_repository::IndexRow>& rows
    );
    [[nodiscard]] std::optional<chem::PreparedEntry> prepare_row(
        const chem::SearchIndex& index, const search_repository::IndexRow& row
    );
    [[nodiscard]] bool stopping() const;
    // Waits `delay`, or less when a poll is requested; true when stopping.
    [[nodiscard]] bool sleep_for(std::chrono::milliseconds delay);
    // One poll (or reload), numbered for catch_up(); false when stopped half-way.
    bool numbered_poll();
    // A poll on the caller's thread that only reads: true when it found nothing to apply (it
    // then counts as a poll); false, changing nothing, when a poll or load is running, a reload
    // is due, there are changes to apply, or the read failed. Never throws.
    bool poll_if_nothing_new();

    db::Database& db_;
    const LiveIndexOptions options_;

    mutable std::mutex index_mutex_;
    std::shared_ptr<chem::SearchIndex> index_;
    std::atomic<std::uint64_t> generation_{0};

    // Poll state: the thread's, and a searching thread's in poll_if_nothing_new(); guarded by
    // poll_mutex_, which a load or poll holds throughout (taken before state_mutex_).
    std::mutex poll_mutex_;
    std::int64_t floor_ = 0;                               // search_repository::ChangeMark
    std::unordered_map<std::int64_t, std::int64_t> seen_;  // seq → mark, for marks >= floor_
    std::chrono::steady_clock::time_point last_poll_;
    std::chrono::steady_clock::time_point last_prune_;

    // Guards the flags and counters below; wake_ signals stopping_ and poll_requested_ to the
    // thread, polled_ signals polls_finished_ to catch_up().
    mutable std::mutex state_mutex_;
    std::condition_variable wake_;
    std::condition_variable polled_;
    bool stopping_ = false;
    bool poll_requested_ = false;
    std::uint64_t polls_started_ = 0;
    std::uint64_t polls_finished_ = 0;  // the number of the last poll finished (or failed)
    // The snapshot of the first read of the last poll applied in full: the index holds every
    // change it shows. Empty until the first poll after a load.
    search_repository::Snapshot applied_snapshot_;
    std::thread thread_;
};

}  // namespace molvault::search
