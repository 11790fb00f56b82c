#include "molecules/molecule_chemistry.hpp"

#include "chem/search_index.hpp"
#include "chem/standardizer.hpp"
#include "common/sodium.hpp"

namespace molvault::molecules {

std::string structure_key(std::string_view canonical_smiles) {
    return sha256_hex(canonical_smiles);
}

Expected<Chemistry, chem::ChemError> compute_chemistry(
    const chem::Structure& input, bool standardize
) {
    Chemistry chemistry;
    chemistry.input_canonical_smiles = input.canonical_smiles();
    chemistry.input_key = structure_key(chemistry.input_canonical_smiles);
    auto stored = input;
    if (standardize) {
        auto parent = chem::standardize(input);
        if (!parent) {
            return Unexpected(parent.error());
        }
        stored = std::move(parent->parent);
    }
    chemistry.canonical_smiles = stored.canonical_smiles();
    chemistry.structure_key = structure_key(chemistry.canonical_smiles);
    chemistry.standardized = chemistry.canonical_smiles != chemistry.input_canonical_smiles;
    chemistry.inchi = stored.inchi();
    chemistry.inchikey = stored.inchikey();
    chemistry.formula = stored.formula();
    chemistry.average_mass = stored.average_mass();
    chemistry.exact_mass = stored.exact_mass();
    chemistry.heavy_atom_count = stored.heavy_atom_count();
    chemistry.clogp = stored.clogp();
    chemistry.tpsa = stored.tpsa();
    chemistry.hbd = stored.hbd();
    chemistry.hba = stored.hba();
    chemistry.rotatable_bonds = stored.rotatable_bonds();
    chemistry.pickle = stored.to_pickle();
    chemistry.search_entry = chem::SearchIndex::entry_bytes(
        stored, {chemistry.canonical_smiles, stored.no_stereo_smiles(), stored.tautomer_hash()}
    );
    return chemistry;
}

}  // namespace molvault::molecules
