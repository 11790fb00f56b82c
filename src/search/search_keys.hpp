#pragma once
// Between the database's UUID text and the search index's 16-byte keys. Thread-safe.

#include <string>
#include <string_view>

#include "chem/search_index.hpp"

namespace molvault::search {

// The key of a canonical UUID text (as the database and common/random write it); throws
// std::invalid_argument for anything else.
[[nodiscard]] chem::MoleculeKey molecule_key(std::string_view uuid);
[[nodiscard]] chem::ProjectKey project_key(std::string_view uuid);

// The canonical lower-case UUID text of a key.
[[nodiscard]] std::string uuid_text(const chem::MoleculeKey& key);
[[nodiscard]] std::string uuid_text(const chem::ProjectKey& key);

}  // namespace molvault::search
