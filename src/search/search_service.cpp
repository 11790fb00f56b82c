#include "search/search_service.hpp"

#include <algorithm>
#include <unordered_map>

#include "chem/standardizer.hpp"
#include "common/error.hpp"
#include "search/search_keys.hpp"
#include "search/search_repository.hpp"

namespace molvault::search {
namespace {

constexpr std::chrono::seconds kLoadingRetry{5};

// The projects searched: the caller's, or those of them the query names (404 for any other).
std::vector<chem::ProjectKey> scope_of(
    db::Database& db, const auth::UserId& caller, const std::vector<std::string>& named
) {
    const auto owned = search_repository::owned_projects(db, caller);
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

SearchAnswer SearchService::search(
    const auth::UserId& caller, const SearchQuery& query, const SearchPage& page
) const {
    const auto deadline = chem::SearchClock::now() + page.budget;
    if (!index_.index()) {
        throw Error(ErrorCode::kUnavailable, "The search index is still loading; try again shortly")
            .with_retry_after(kLoadingRetry);
    }
    // Every molecule committed before this search began, on any instance, is then in the
    // index (unless that poll outlasts the budget: the answer is then as fresh as the last
    // poll, at most SEARCH_POLL_INTERVAL_MS old).
    (void)index_.catch_up(deadline);
    const auto index = index_.index();
    const auto scope = scope_of(db_, caller, query.project_ids);
    const auto result = run(*index, query, scope, deadline);

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
