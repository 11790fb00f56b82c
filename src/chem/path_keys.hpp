#pragma once
// Path keys: substructure screen bits of our own, cheap enough to compute for every query.
// One bit, hashed, for each
// - simple path of 1 to kMaxPathBonds bonds: the elements and bond types along it, read in
//   the direction that gives the smaller sequence, so both ends agree;
// - ring of 3 to kMaxPathBonds + 1 atoms: its elements and bond types, read from the atom and
//   in the direction that give the smallest sequence;
// - three bonds around one atom: its element and the bond types and elements of the three.
//
// Under any embedding of a plain (SMILES) query, a path maps onto a path, a ring onto a ring
// and an atom's bonds onto bonds of its image, with the same elements and bond types (RDKit's
// Atom::Match requires equal atomic numbers, Bond::Match equal bond types), so the target has
// every key the query has. The query's keys leave out query atoms and bonds (SMARTS) and bonds
// other than single, double, triple or aromatic; a target with such an atom or bond gets every
// key, since RDKit may match those more loosely. RDKit's own pattern fingerprint screens the
// same way, but costs a query about twenty times more (bench/RESULTS.md).
//
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>

namespace RDKit {
class ROMol;
}  // namespace RDKit

namespace molvault::chem {

inline constexpr std::size_t kPathKeyBits = 2048;
inline constexpr std::size_t kMaxPathBonds = 5;
using PathKeys = std::array<std::uint64_t, kPathKeyBits / 64>;

// The keys of a molecule held in the index.
PathKeys target_path_keys(const RDKit::ROMol& mol);

// The keys every molecule containing `query` has.
PathKeys query_path_keys(const RDKit::ROMol& query);

}  // namespace molvault::chem
