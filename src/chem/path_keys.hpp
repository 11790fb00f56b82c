#pragma once
// Path keys: substructure screen bits of our own, cheap enough to compute for every query. Each
// simple path of 1 to kMaxPathBonds bonds sets one bit, hashed from the elements and bond
// types along it (read in the direction that gives the smaller sequence, so both ends agree).
//
// Every path of a plain (SMILES) query maps, under any embedding, onto a path of the target
// with the same elements and bond types (RDKit's Atom::Match requires equal atomic numbers,
// Bond::Match equal bond types), so the target has every key the query has. The query's keys
// leave out paths through query atoms or bonds (SMARTS, `*`) and bonds other than single,
// double, triple or aromatic; a target with such an atom or bond gets every key, since
// RDKit may match those more loosely. RDKit's own pattern fingerprint screens the same way,
// but costs a query about ten times more (bench/RESULTS.md).
//
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>

namespace RDKit {
class ROMol;
}  // namespace RDKit

namespace molvault::chem {

inline constexpr std::size_t kPathKeyBits = 1024;
inline constexpr std::size_t kMaxPathBonds = 5;
using PathKeys = std::array<std::uint64_t, kPathKeyBits / 64>;

// The keys of a molecule held in the index.
PathKeys target_path_keys(const RDKit::ROMol& mol);

// The keys every molecule containing `query` has.
PathKeys query_path_keys(const RDKit::ROMol& query);

}  // namespace molvault::chem
