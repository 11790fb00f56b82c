#include "search/search_routes.hpp"

#include <charconv>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "auth/auth_routes.hpp"
#include "common/error.hpp"
#include "common/random.hpp"
#include "common/sodium.hpp"
#include "common/text.hpp"
#include "http/json.hpp"
#include "http/paging.hpp"

namespace molvault::search {
namespace {

constexpr std::size_t kMaxQueryBytes = 4096;
constexpr std::size_t kMaxProjectIds = 100;
constexpr std::int64_t kMaxTopK = 10'000;
constexpr double kDefaultThreshold = 0.7;
// A cursor's position: "<offset>|<query hash>", the hash binding it to the query it pages.
constexpr char kCursorSeparator = '|';
constexpr std::size_t kQueryHashLength = 16;

SearchType type_field(const nlohmann::json& body) {
    const auto type = http::required_string_field(body, "type");
    if (type == "substructure") {
        return SearchType::kSubstructure;
    }
    if (type == "similarity") {
        return SearchType::kSimilarity;
    }
    if (type == "exact") {
        return SearchType::kExact;
    }
    throw validation_error("type", "must be substructure, similarity or exact");
}

// The query text trimmed; RDKit would read anything after a space as a name.
std::string query_field(const nlohmann::json& body) {
    const auto field = http::required_string_field(body, "query");  // the body limit bounds it
    const auto text = trim_ascii_whitespace(field);
    if (text.empty()) {
        throw validation_error("query", "must not be empty");
    }
    if (text.size() > kMaxQueryBytes) {
        throw validation_error("query", fmt::format("must be at most {} bytes", kMaxQueryBytes));
    }
    if (text.find_first_of(kAsciiWhitespace) != std::string_view::npos) {
        throw validation_error("query", "must not contain whitespace");
    }
    return std::string(text);
}

// Refuses the fields that belong to another type of search.
void reject_fields_of_other_types(const nlohmann::json& body, SearchType type) {
    const struct {
        const char* field;
        SearchType type;
        const char* type_name;
    } kOwners[] = {
        {"query_format", SearchType::kSubstructure, "substructure"},
        {"use_chirality", SearchType::kSubstructure, "substructure"},
        {"threshold", SearchType::kSimilarity, "similarity"},
        {"top_k", SearchType::kSimilarity, "similarity"},
        {"mode", SearchType::kExact, "exact"},
    };
    for (const auto& owner : kOwners) {
        if (owner.type != type && body.contains(owner.field)) {
            throw validation_error(
                owner.field, fmt::format("applies only to type {}", owner.type_name)
            );
        }
    }
}

std::vector<std::string> project_ids_field(const nlohmann::json& body) {
    const auto it = body.find("project_ids");
    if (it == body.end()) {
        return {};
    }
    if (!it->is_array() || it->empty() || it->size() > kMaxProjectIds) {
        throw validation_error(
            "project_ids", fmt::format("must be an array of 1 to {} project ids", kMaxProjectIds)
        );
    }
    std::vector<std::string> ids;
    for (const auto& id : *it) {
        if (!id.is_string() || !is_uuid(id.get<std::string>())) {
            throw validation_error("project_ids", "must hold project ids (UUIDs)");
        }
        ids.push_back(ascii_lower(id.get<std::string>()));
    }
    return ids;
}

SearchQuery search_query(const nlohmann::json& body) {
    SearchQuery query;
    query.type = type_field(body);
    query.text = query_field(body);
    reject_fields_of_other_types(body, query.type);
    if (const auto format = http::optional_string_field(body, "query_format")) {
        if (*format != "smiles" && *format != "smarts") {
            throw validation_error("query_format", "must be smiles or smarts");
        }
        query.format =
            *format == "smarts" ? chem::QueryFormat::kSmarts : chem::QueryFormat::kSmiles;
    }
    query.use_chirality = http::optional_bool_field(body, "use_chirality").value_or(false);
    const auto top_k = http::optional_integer_field(body, "top_k", 1, kMaxTopK);
    const auto threshold = http::optional_number_field(body, "threshold", 0.0, 1.0);
    if (top_k) {
        query.similarity.top_k = static_cast<std::size_t>(*top_k);
    }
    query.similarity.threshold = threshold.value_or(top_k ? 0.0 : kDefaultThreshold);
    if (const auto mode = http::optional_string_field(body, "mode")) {
        if (*mode == "canonical") {
            query.exact_mode = chem::ExactMode::kCanonical;
        } else if (*mode == "no_stereo") {
            query.exact_mode = chem::ExactMode::kNoStereo;
        } else if (*mode == "tautomer") {
            query.exact_mode = chem::ExactMode::kTautomer;
        } else {
            throw validation_error("mode", "must be canonical, no_stereo or tautomer");
        }
    }
    query.project_ids = project_ids_field(body);
    return query;
}

// A short hash of everything that decides the hits, so that a cursor pages only its own query.
std::string query_hash(const SearchQuery& query) {
    return sha256_hex(query_key(query)).substr(0, kQueryHashLength);
}

// The offset a cursor points at; 422 when it is not one of this query's cursors.
std::size_t cursor_offset(const nlohmann::json& body, const std::string& hash) {
    const auto cursor = http::optional_string_field(body, "cursor");
    if (!cursor) {
        return 0;
    }
    const auto position = http::decode_cursor(*cursor);
    const auto separator = position ? position->find(kCursorSeparator) : std::string::npos;
    if (separator == std::string::npos || position->substr(separator + 1) != hash) {
        throw http::invalid_cursor();
    }
    std::size_t offset = 0;
    const auto* const end = position->data() + separator;
    const auto [ptr, ec] = std::from_chars(position->data(), end, offset);
    if (separator == 0 || ec != std::errc{} || ptr != end) {
        throw http::invalid_cursor();
    }
    return offset;
}

nlohmann::json answer_json(
    const SearchAnswer& answer, const SearchPage& page, const std::string& hash
) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : answer.items) {
        items.push_back(
            {{"molecule_id", item.molecule_id},
             {"project_id", item.project_id},
             {"name", item.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(item.name)},
             {"canonical_smiles", item.canonical_smiles},
             {"score", item.score}}
        );
    }
    nlohmann::json next = nullptr;
    if (answer.more) {
        next = http::encode_cursor(
            fmt::format("{}{}{}", page.offset + page.limit, kCursorSeparator, hash)
        );
    }
    return {
        {"items", std::move(items)},
        {"next_cursor", std::move(next)},
        {"total", answer.total},
        {"complete", answer.complete},
        {"examined", answer.examined},
        {"in_scope", answer.in_scope},
    };
}

}  // namespace

void add_search_routes(http::Router& router, const SearchService& service, SearchLimits limits) {
    router.post("/api/v1/search", [&service, limits](const http::Request& request) {
        const auth::UserId caller{auth::require_auth(request).user_id};
        const auto body = http::parse_json_object(request);
        http::reject_unknown_fields(
            body,
            {"type",
             "query",
             "query_format",
             "use_chirality",
             "threshold",
             "top_k",
             "mode",
             "project_ids",
             "limit",
             "cursor",
             "max_time_ms"}
        );
        const auto query = search_query(body);
        const auto hash = query_hash(query);
        SearchPage page;
        page.limit = static_cast<std::size_t>(
            http::optional_integer_field(body, "limit", 1, http::kMaxPageSize)
                .value_or(http::kDefaultPageSize)
        );
        page.budget = std::chrono::milliseconds(
            http::optional_integer_field(body, "max_time_ms", 1, limits.max_time.count())
                .value_or(limits.default_time.count())
        );
        page.offset = cursor_offset(body, hash);
        const auto answer = service.search(caller, query, page);
        return http::json_response(http::status::kOk, answer_json(answer, page, hash));
    });
}

}  // namespace molvault::search
