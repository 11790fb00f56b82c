#pragma once
// Structure search over the caller's molecules (issue 6): substructure, similarity and exact,
// answered by this instance's LiveIndex and scoped to the caller's projects (or the ones the
// caller names, each checked). Every hit is found (no cap); a page is a slice of the ordered
// hits, so paging re-runs the query. A search stops at its time budget and then says how far
// it got.
//
// Errors (molvault::Error): kUnavailable while the index is still loading at start-up,
// kNotFound for a named project that is not the caller's, kValidation (field "query") for a
// query that does not parse. Thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "chem/search_index.hpp"
#include "db/database.hpp"
#include "search/live_index.hpp"

namespace molvault::search {

enum class SearchType { kSubstructure, kSimilarity, kExact };

// What decides the hits (a cursor is bound to it).
struct SearchQuery {
    SearchType type = SearchType::kSubstructure;
    std::string text;  // trimmed SMILES, or SMARTS for a substructure query in that format
    chem::QueryFormat format = chem::QueryFormat::kSmiles;  // substructure
    bool use_chirality = false;                             // substructure
    chem::SimilarityQuery similarity;                       // similarity
    chem::ExactMode exact_mode = chem::ExactMode::kCanonical;
    std::vector<std::string> project_ids;  // lower-case UUIDs; empty = all the caller's
};

// A text that is equal for two queries exactly when they ask for the same hits.
[[nodiscard]] std::string query_key(const SearchQuery& query);

struct SearchPage {
    std::size_t offset = 0;
    std::size_t limit = 50;
    std::chrono::milliseconds budget{10'000};
};

struct SearchItem {
    std::string molecule_id;
    std::string project_id;
    std::string name;  // "" when the molecule has none
    std::string canonical_smiles;
    double score = 1.0;  // Tanimoto for similarity, else 1
};

struct SearchAnswer {
    std::vector<SearchItem> items;  // the page (a hit deleted since the search is left out)
    std::size_t total = 0;          // hits found: all of them when complete
    bool complete = true;           // false: the budget ran out first
    std::size_t examined = 0;       // molecules examined
    std::size_t in_scope = 0;       // molecules in the scope
    bool more = false;              // hits beyond this page
};

// Complete results are kept (a few, least recently used first out) until the index changes,
// so paging through a slow query costs one search, not one per page.
class SearchService {
public:
    SearchService(db::Database& db, LiveIndex& index) : db_(db), index_(index) {}

    [[nodiscard]] SearchAnswer search(
        const auth::UserId& caller, const SearchQuery& query, const SearchPage& page
    ) const;

private:
    struct Cached {
        std::string key;  // query_key and the scope
        std::uint64_t generation = 0;
        std::shared_ptr<const chem::SearchResult> result;
    };
    [[nodiscard]] std::shared_ptr<const chem::SearchResult> cached(
        const std::string& key, std::uint64_t generation
    ) const;
    void keep(Cached entry) const;

    db::Database& db_;
    LiveIndex& index_;
    mutable std::mutex cache_mutex_;
    mutable std::list<Cached> cache_;  // most recently used first
};

}  // namespace molvault::search
