#include "search/live_index.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "search/search_keys.hpp"

namespace molvault::search {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kLoadPage = 10'000;   // molecules read per query at start-up
constexpr std::size_t kChangePage = 5'000;  // change-log rows read per query
constexpr std::chrono::seconds kPrunePeriod{60};
constexpr std::chrono::milliseconds kLoadRetry{1'000};

unsigned thread_count(const chem::SearchIndexOptions& options) {
    return options.threads != 0 ? options.threads
                                : std::max(1U, std::thread::hardware_concurrency());
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

LiveIndex::LiveIndex(db::Database& db, LiveIndexOptions options)
    : db_(db), options_(std::move(options)) {}

LiveIndex::~LiveIndex() {
    {
        const std::lock_guard lock(state_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    polled_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void LiveIndex::start() {
    thread_ = std::thread([this] { run(); });
}

std::shared_ptr<const chem::SearchIndex> LiveIndex::index() const {
    const std::lock_guard lock(index_mutex_);
    return index_;
}

bool LiveIndex::catch_up(Clock::time_point deadline) {
    std::unique_lock lock(state_mutex_);
    const auto wanted = polls_started_ + 1;
    poll_requested_ = true;
    wake_.notify_all();
    return polled_.wait_until(lock, deadline, [this, wanted] {
        return stopping_ || polls_finished_ >= wanted;
    }) && !stopping_;
}

bool LiveIndex::catch_up(const search_repository::Snapshot& seen, Clock::time_point deadline) {
    {
        const std::lock_guard lock(state_mutex_);
        if (!seen.empty() && seen == applied_snapshot_) {
            return true;
        }
    }
    return poll_if_nothing_new() || catch_up(deadline);
}

bool LiveIndex::poll_if_nothing_new() {
    const std::unique_lock poll_lock(poll_mutex_, std::try_to_lock);
    if (!poll_lock.owns_lock() || Clock::now() - last_poll_ > options_.change_retention / 2) {
        return false;  // a poll (or a load) is running, or a reload is due
    }
    try {
        auto page = search_repository::changes_since(db_, floor_, 0, kChangePage);
        if (page.changes.size() >= kChangePage ||
            std::any_of(page.changes.begin(), page.changes.end(), [this](const auto& change) {
                return !seen_.contains(change.seq);
            })) {
            return false;  // changes to apply: the poller's work
        }
        // What poll() would do when it finds nothing new.
        floor_ = page.mark;
        std::erase_if(seen_, [this](const auto& entry) { return entry.second < floor_; });
        last_poll_ = Clock::now();
        const std::lock_guard lock(state_mutex_);
        applied_snapshot_ = std::move(page.snapshot);
        return true;
    } catch (const std::exception&) {
        return false;  // the poller logs what fails
    }
}

bool LiveIndex::stopping() const {
    const std::lock_guard lock(state_mutex_);
    return stopping_;
}

bool LiveIndex::sleep_for(std::chrono::milliseconds delay) {
    std::unique_lock lock(state_mutex_);
    return wake_.wait_for(lock, delay, [this] { return stopping_ || poll_requested_; }) &&
           stopping_;
}

void LiveIndex::run() {
    for (;;) {
        try {
            const std::lock_guard poll_lock(poll_mutex_);
            if (!load()) {
                return;
            }
            break;
        } catch (const std::exception& e) {
            log::error("search_load_failed", {{"error", e.what()}});
        }
        if (sleep_for(kLoadRetry)) {
            return;
        }
    }
    while (!sleep_for(options_.poll_interval)) {
        if (!numbered_poll()) {
            return;
        }
    }
}

bool LiveIndex::numbered_poll() {
    std::uint64_t number = 0;
    {
        const std::lock_guard lock(state_mutex_);
        poll_requested_ = false;
        number = ++polls_started_;
    }
    bool stopped = false;
    try {
        const std::lock_guard poll_lock(poll_mutex_);
        if (Clock::now() - last_poll_ > options_.change_retention / 2) {
            // Changes may have been pruned before this instance read them.
            log::warn("search_reload", {{"reason", "no poll within half the retention"}});
            stopped = !load();
        } else {
            poll();
            last_poll_ = Clock::now();
            if (last_poll_ - last_prune_ >= kPrunePeriod) {
                last_prune_ = last_poll_;
                const auto pruned =
                    search_repository::prune_changes(db_, options_.change_retention);
                if (pruned > 0) {
                    log::debug("search_changes_pruned", {{"rows", pruned}});
                }
            }
        }
    } catch (const std::exception& e) {
        log::error("search_poll_failed", {{"error", e.what()}});
    }
    {
        const std::lock_guard lock(state_mutex_);
        polls_finished_ = number;
    }
    polled_.notify_all();
    return !stopped;
}

bool LiveIndex::load() {
    const auto started = Clock::now();
    // Taken first: whatever commits from here on is read again by the first poll.
    const auto mark = search_repository::change_mark(db_);
    auto index_options = options_.index;
    index_options.match_store = options_.match_store.value_or(
        search_repository::count_molecules(db_) <= options_.parsed_max
            ? chem::MatchStore::kMolecules
            : chem::MatchStore::kPickles
    );
    auto index = std::make_shared<chem::SearchIndex>(index_options);
    // The next page is read while this one is restored.
    const auto fetch = [this](std::optional<std::string> after) {
        return std::async(std::launch::async, [this, after = std::move(after)] {
            return search_repository::load_page(db_, after, kLoadPage);
        });
    };
    // Three stages overlap: reading page n + 1, restoring page n, inserting page n - 1.
    auto pending = fetch(std::nullopt);
    std::future<void> inserting;
    for (;;) {
        const auto rows = pending.get();
        if (stopping()) {
            return false;
        }
        const bool last = rows.size() < kLoadPage;
        if (!last) {
            pending = fetch(rows.back().molecule_id);
        }
        auto entries = prepare_rows(*index, rows);
        if (inserting.valid()) {
            inserting.get();
        }
        inserting =
            std::async(std::launch::async, [&index, entries = std::move(entries)]() mutable {
                index->insert(std::move(entries));
            });
        if (last) {
            break;
        }
    }
    inserting.get();
    {
        const std::lock_guard lock(index_mutex_);
        index_ = index;
    }
    {
        const std::lock_guard lock(state_mutex_);
        applied_snapshot_.clear();  // the next poll says what this index holds
    }
    ++generation_;
    floor_ = mark;
    seen_.clear();
    last_poll_ = last_prune_ = Clock::now();
    const auto stats = index->stats();
    const auto per_molecule = [&stats](std::size_t bytes) {
        return stats.molecules == 0 ? 0 : bytes / stats.molecules;
    };
    log::info(
        "search_loaded",
        {{"molecules", stats.molecules},
         {"projects", stats.projects},
         {"match_store",
          index_options.match_store == chem::MatchStore::kPickles ? "pickles" : "molecules"},
         {"seconds", seconds_since(started)},
         {"screening_bytes_per_molecule", per_molecule(stats.screening_bytes)},
         {"matching_bytes_per_molecule", per_molecule(stats.matching_bytes)}}
    );
    return true;
}

void LiveIndex::poll() {
    std::optional<search_repository::ChangeMark> mark;  // as of the first read
    search_repository::Snapshot snapshot;               // of the first read
    std::int64_t after_seq = 0;
    for (;;) {
        auto [page_mark, page_snapshot, changes] =
            search_repository::changes_since(db_, floor_, after_seq, kChangePage);
        if (!mark) {
            mark = page_mark;
            snapshot = std::move(page_snapshot);
        }
        // The latest state of each molecule named by a change of this page not applied yet:
        // gone unless it is read back.
        std::unordered_map<std::string, std::optional<search_repository::IndexRow>> latest;
        std::vector<std::pair<std::int64_t, std::int64_t>> read;  // (seq, mark) of those
        for (const auto& change : changes) {
            after_seq = change.seq;
            if (!seen_.contains(change.seq)) {
                read.emplace_back(change.seq, change.mark);
                latest.try_emplace(change.molecule_id);
            }
        }
        if (!latest.empty()) {
            std::vector<std::string> ids;
            ids.reserve(latest.size());
            for (const auto& entry : latest) {
                ids.push_back(entry.first);
            }
            for (auto& row : search_repository::index_rows(db_, ids)) {
                auto id = row.molecule_id;
                latest[id] = std::move(row);
            }
        }
        apply(latest);
        // Only once applied: a page that failed is read again.
        seen_.insert(read.begin(), read.end());
        if (changes.size() < kChangePage) {
            break;
        }
        if (stopping()) {
            return;  // a backlog (a large import) must not hold up a shutdown
        }
    }
    floor_ = *mark;
    std::erase_if(seen_, [this](const auto& entry) { return entry.second < floor_; });
    // Every change the first read could see is applied now (later pages only add to it).
    const std::lock_guard lock(state_mutex_);
    applied_snapshot_ = std::move(snapshot);
}

void LiveIndex::apply(
    std::unordered_map<std::string, std::optional<search_repository::IndexRow>>& latest
) {
    if (latest.empty()) {
        return;
    }
    std::vector<search_repository::IndexRow> inserted;
    std::vector<chem::MoleculeKey> removed;
    for (auto& [id, row] : latest) {
        if (row) {
            inserted.push_back(std::move(*row));
        } else {
            removed.push_back(molecule_key(id));
        }
    }
    std::shared_ptr<chem::SearchIndex> index;
    {
        const std::lock_guard lock(index_mutex_);
        index = index_;
    }
    if (!inserted.empty()) {
        index->insert(prepare_rows(*index, inserted));
    }
    if (!removed.empty()) {
        (void)index->remove(removed);
    }
    ++generation_;
}

std::vector<chem::PreparedEntry> LiveIndex::prepare_rows(
    const chem::SearchIndex& index, const std::vector<search_repository::IndexRow>& rows
) {
    std::vector<std::optional<chem::PreparedEntry>> slots(rows.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < rows.size(); i = next++) {
            try {
                slots[i] = prepare_row(index, rows[i]);
            } catch (const std::exception& e) {
                log::error(
                    "search_entry_failed",
                    {{"molecule_id", rows[i].molecule_id}, {"error", e.what()}}
                );
            }
        }
    };
    {
        const auto helpers = std::min<std::size_t>(thread_count(options_.index), rows.size());
        std::vector<std::jthread> threads;
        for (std::size_t t = 1; t < helpers; ++t) {
            threads.emplace_back(work);
        }
        work();
    }
    std::vector<chem::PreparedEntry> entries;
    entries.reserve(rows.size());
    for (auto& slot : slots) {
        if (slot) {
            entries.push_back(std::move(*slot));
        }
    }
    return entries;
}

std::optional<chem::PreparedEntry> LiveIndex::prepare_row(
    const chem::SearchIndex& index, const search_repository::IndexRow& row
) {
    const auto molecule = molecule_key(row.molecule_id);
    const auto project = project_key(row.project_id);
    if (row.search_entry) {
        auto restored = index.restore(molecule, project, *row.search_entry);
        if (restored) {
            return std::move(*restored);
        }
    }
    // No entry (written before migration 0006) or one this RDKit cannot read: prepare it from
    // the pickle and store it for the next start.
    auto pickle = row.pickle ? row.pickle : search_repository::find_pickle(db_, row.molecule_id);
    if (!pickle) {
        return std::nullopt;  // deleted meanwhile
    }
    const auto structure = chem::Structure::from_pickle(*pickle);
    if (!structure) {
        log::error(
            "search_entry_failed",
            {{"molecule_id", row.molecule_id}, {"error", structure.error().message}}
        );
        return std::nullopt;
    }
    auto entry = index.prepare(molecule, project, *structure);
    search_repository::store_entry(db_, row.molecule_id, entry.to_bytes());
    return entry;
}

}  // namespace molvault::search
