#pragma once
// POST /api/v1/search: structure search over the caller's molecules (docs/openapi.yaml).
// The service, and everything it refers to, must outlive the router.

#include <chrono>

#include "http/router.hpp"
#include "search/search_service.hpp"

namespace molvault::search {

struct SearchLimits {
    std::chrono::milliseconds default_time{10'000};  // a search's budget unless it asks
    std::chrono::milliseconds max_time{60'000};      // the most it may ask for
};

void add_search_routes(http::Router& router, const SearchService& service, SearchLimits limits);

}  // namespace molvault::search
