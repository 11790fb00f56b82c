#include "search/search_service.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "chem/standardizer.hpp"
#include "common/error.hpp"
#include "search/search_keys.hpp"
#include "search/search_repository.hpp"

namespace molvault::search {
namespace {

constexpr std::chrono::seconds kLoadingRetry{5};
// The result cache: at most this many results, and this many hits in all (about 40 bytes each).
constexpr std::size_t kCachedResults = 32;
constexpr std::size_t kCachedHits = 2'000'000;

// The projects searched: the caller's (`owned`), or those of them the query names (404 for
// any other).
std::vector<chem::ProjectKey> scope_of(
    const std::vector<std::string>& owned, const std::vector<std::string>& named
) {
    std::vector<chem::ProjectKey> scope;
    if (named.empty()) {
        for (const auto& id : owned) {
            scope.push_back(project_key(id));
        }
        return scope;
    }
    for (const auto& id : named) {
        if (std::find(owned.begin(), owned.end(), id) == owned.end()) {
            throw Error(ErrorCode::kNotFound, "No such project: " + id);
        }
        scope.push_back(project_key(id));
    }
    std::sort(scope.begin(), scope.end());
    scope.erase(std::unique(scope.begin(), scope.end()), scope.end());
    return scope;
}

chem::Structure parsed_query(const std::string& text) {
    auto structure = chem::parse_smiles(text);
    if (!structure) {
        throw chem::structure_error("query", structure.error());
    }
    return std::move(*structure);
}

// Exact search matches the stored form of either the query as drawn or its standardized
// parent (what a project with standardization stores): the union of both, in key order.
chem::SearchResult exact_search(
    const chem::SearchIndex& index,
    const SearchQuery& query,
    std::span<const chem::ProjectKey> scope,
    chem::SearchClock::time_point deadline
) {
    const auto structure = parsed_query(query.text);
    auto result = index.search_exact(structure, query.exact_mode, scope, deadline);
    const auto parent = chem::standardize(structure);
    if (!parent || parent->parent.canonical_smiles() == structure.canonical_smiles()) {
        return result;
    }
    auto more = index.search_exact(parent->parent, query.exact_mode, scope, deadline);
    result.hits.insert(result.hits.end(), more.hits.begin(), more.hits.end());
    std::sort(result.hits.begin(), result.hits.end(), [](const auto& a, const auto& b) {
        return a.molecule < b.molecule;
    });
    result.hits.erase(
        std::unique(
            result.hits.begin(),
            result.hits.end(),
            [](const auto& a, const auto& b) { return a.molecule == b.molecule; }
        ),
        result.hits.end()
    );
    result.complete = result.complete && more.complete;
    result.examined = std::min(result.examined, more.examined);
    return result;
}

chem::SearchResult run(
    const chem::SearchIndex& index,
    const SearchQuery& query,
    std::span<const chem::ProjectKey> scope,
    chem::SearchClock::time_point deadline
) {
    switch (query.type) {
        case SearchType::kSubstructure: {
            auto result = index.search_substructure(
                {query.text, query.format, query.use_chirality}, scope, deadline
            );
            if (!result) {
                throw chem::structure_error("query", result.error());
            }
            return std::move(*result);
        }
        case SearchType::kSimilarity:
            return index.search_similarity(
                parsed_query(query.text), query.similarity, scope, deadline
            );
        case SearchType::kExact:
            return exact_search(index, query, scope, deadline);
    }
    throw std::logic_error("unknown search type");
}

}  // namespace

std::string query_key(const SearchQuery& query) {
    auto projects = query.project_ids;
    std::sort(projects.begin(), projects.end());
    return fmt::format(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
        static_cast<int>(query.type),
        query.text,
        static_cast<int>(query.format),
        query.use_chirality,
        query.similarity.threshold,
        query.similarity.top_k.value_or(0),
        static_cast<int>(query.exact_mode),
        fmt::join(projects, ",")
    );
}

std::shared_ptr<const chem::SearchResult> SearchService::cached(
    const std::string& key, std::uint64_t generation
) const {
    const std::lock_guard lock(cache_mutex_);
    std::erase_if(cache_, [generation](const Cached& entry) {
        return entry.generation != generation;
    });
    const auto found = std::find_if(cache_.begin(), cache_.end(), [&key](const Cached& entry) {
        return entry.key == key;
    });
    if (found == cache_.end()) {
        return nullptr;
    }
    cache_.splice(cache_.begin(), cache_, found);
    return cache_.front().result;
}

void SearchService::keep(Cached entry) const {
    if (entry.result->hits.size() > kCachedHits / 4) {
        return;  // one result may not crowd out the rest
    }
    const std::lock_guard lock(cache_mutex_);
    cache_.push_front(std::move(entry));
    std::size_t hits = 0;
    std::size_t kept = 0;
    for (auto it = cache_.begin(); it != cache_.end(); ++kept) {
        hits += it->result->hits.size();
        it = kept < kCachedResults && hits <= kCachedHits ? std::next(it) : cache_.erase(it);
    }
}

SearchAnswer SearchService::search(
    const auth::UserId& caller, const SearchQuery& query, const SearchPage& page
) const {
    const auto deadline = chem::SearchClock::now() + page.budget;
    if (!index_.index()) {
        throw Error(ErrorCode::kUnavailable, "The search index is still loading; try again shortly")
            .with_retry_after(kLoadingRetry);
    }
    // Every molecule committed before this search began, on any instance, is then in the
    // index: at once when nothing was committed since the last poll, else after one more
    // poll (unless that poll outlasts the budget: the answer is then as fresh as the last
    // poll, at most SEARCH_POLL_INTERVAL_MS old).
    const auto owned = search_repository::owned_projects(db_, caller);
    (void)index_.catch_up(owned.snapshot, deadline);
    const auto generation = index_.generation();
    const auto index = index_.index();
    const auto scope = scope_of(owned.ids, query.project_ids);
    std::string key = query_key(query);
    for (const auto& project : scope) {
        key += '\n' + uuid_text(project);
    }
    auto shared = cached(key, generation);
    if (!shared) {
        shared = std::make_shared<const chem::SearchResult>(run(*index, query, scope, deadline));
        if (shared->complete) {
            keep({key, generation, shared});
        }
    }
    const auto& result = *shared;

    SearchAnswer answer;
    answer.total = result.hits.size();
    answer.complete = result.complete;
    answer.examined = result.examined;
    answer.in_scope = result.total;
    const auto first = std::min(page.offset, result.hits.size());
    const auto last = std::min(first + page.limit, result.hits.size());
    answer.more = last < result.hits.size();

    std::vector<std::string> ids;
    for (auto i = first; i < last; ++i) {
        ids.push_back(uuid_text(result.hits[i].molecule));
    }
    std::unordered_map<std::string, search_repository::HitSummary> found;
    for (auto& summary : search_repository::summaries(db_, ids)) {
        found.emplace(summary.molecule_id, std::move(summary));
    }
    for (auto i = first; i < last; ++i) {
        const auto& hit = result.hits[i];
        const auto summary = found.find(ids[i - first]);
        if (summary == found.end()) {
            continue;  // deleted since the index last heard of it
        }
        answer.items.push_back(
            {summary->first,
             uuid_text(hit.project),
             std::move(summary->second.name),
             std::move(summary->second.canonical_smiles),
             hit.score}
        );
    }
    return answer;
}

}  // namespace molvault::search
