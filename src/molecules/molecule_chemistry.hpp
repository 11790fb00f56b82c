#pragma once
// The chemistry of a registration: from a parsed input structure to everything molvault stores
// about it (Chemistry). With `standardize`, the stored form is the standardized parent
// (chem::standardize: largest fragment, neutralized, cleaned up); without, the input as drawn.
//
// Thread-safe free functions (chem/ serialises what RDKit and InChI need). A structure that
// cannot be standardized is a ChemError, never an exception; std::bad_alloc propagates. CPU
// cost is about 3-5 ms per drug-sized molecule: standardization, InChI, and the search index's
// entry (exact-search keys, the tautomer hash above all, and fingerprints).

#include <string_view>

#include "chem/chem_error.hpp"
#include "chem/structure.hpp"
#include "common/expected.hpp"
#include "molecules/molecule.hpp"

namespace molvault::molecules {

// The uniqueness and lookup key of a canonical SMILES (SHA-256, hex).
[[nodiscard]] std::string structure_key(std::string_view canonical_smiles);

[[nodiscard]] Expected<Chemistry, chem::ChemError> compute_chemistry(
    const chem::Structure& input, bool standardize
);

}  // namespace molvault::molecules
