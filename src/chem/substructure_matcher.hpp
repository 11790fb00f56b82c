#pragma once
// SubstructureMatcher: does a molecule contain the query? The answer of RDKit's SubstructMatch
// (recursion possible, chirality off), found faster for the search engine's many candidates.
//
// RDKit decides whether one query atom or bond may stand for one target atom or bond
// (RDKit::atomCompat and bondCompat, the predicates its own VF2 uses), except for plain
// (SMILES) atoms and bonds and the common SMARTS bond queries, which are compared on a compact
// copy of the fields RDKit reads (MatchGraph; tests/unit/chem_search_index_test.cpp holds the
// two against each other). What is ours is the search for an embedding: the query's atoms in a
// fixed order chosen once per query (each atom next to one already placed, so its candidates
// are that atom's image's neighbours, not the whole target), predicates evaluated at most once
// per target and pair, and recursive SMARTS ($(...)) decided per target atom, with the root
// pinned, only for the atoms a query atom asks about. RDKit's VF2 instead scans every target
// atom at each step for the next candidate, re-evaluates predicates and fills every recursive query
// for every atom first. On zinc250k's benchmark sets this took 1.3 (Lewis SMARTS) to 5.7
// (fragqueries) times less time in all (bench/RESULTS.md).
//
// One difference: RDKit collects a recursive SMARTS's root atoms from at most 1,000
// embeddings (vf2_all's default limit), so in a target with more embeddings than that it can
// miss roots; here every root is found. No query of the benchmark sets reaches that limit.
//
// With chirality on, matches() calls RDKit::SubstructMatch itself (its final check compares
// the parity of every matched stereocentre).
//
// Thread-safety: not thread-safe. The matcher owns a copy of the query whose recursive queries
// hold per-target state, plus scratch buffers: use one matcher per thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace RDKit {
class ROMol;
class Atom;
class Bond;
}  // namespace RDKit

namespace molvault::chem {

// A molecule's graph as the matcher walks it: for each atom its neighbours and the bonds to
// them, and the atom and bond properties a plain (SMILES) query compares: element, ring count,
// charge, isotope and radicals per atom, type per bond; and pointers to RDKit's atoms and
// bonds for the query atoms and bonds RDKit evaluates. About 40 bytes per atom. Built once per
// molecule and kept next to it (the search index does), it spares a match the walk through
// RDKit's graph, which in a large index is mostly cache misses. Immutable once built; points
// into the molecule, which must outlive it.
class MatchGraph {
public:
    MatchGraph() = default;
    explicit MatchGraph(const RDKit::ROMol& mol);

    // False for a molecule this form cannot hold (over 65,535 atoms or bond ends, an isotope
    // over 65,535, no ring information): the matcher hands those to RDKit.
    [[nodiscard]] bool usable() const { return !data_.empty(); }
    [[nodiscard]] std::uint32_t atoms() const { return data_.empty() ? 0 : data_[0]; }
    [[nodiscard]] std::uint32_t bonds() const { return data_.empty() ? 0 : data_[1]; }

    // Atom a's neighbours are neighbour(k) for k in [first(a), first(a + 1)), via bond(k).
    [[nodiscard]] std::uint32_t first(std::uint32_t atom) const { return data_[kHeader + atom]; }
    [[nodiscard]] std::uint32_t neighbour(std::uint32_t k) const {
        return data_[neighbours_at() + k];
    }
    [[nodiscard]] std::uint32_t bond(std::uint32_t k) const {
        return data_[neighbours_at() + 2 * bonds() + k];
    }
    [[nodiscard]] std::uint32_t degree(std::uint32_t atom) const {
        return first(atom + 1) - first(atom);
    }

    enum class AtomField : std::uint8_t { kElement, kRings, kCharge, kIsotope, kRadicals };
    static constexpr std::size_t kAtomFields = 5;
    [[nodiscard]] std::uint16_t atom_field(AtomField field, std::uint32_t atom) const {
        return data_[atom_fields_at() + static_cast<std::size_t>(field) * atoms() + atom];
    }
    [[nodiscard]] std::uint16_t bond_type(std::uint32_t bond_index) const {
        return data_[atom_fields_at() + kAtomFields * atoms() + bond_index];
    }

    [[nodiscard]] const RDKit::Atom* atom_pointer(std::uint32_t atom) const {
        return atom_pointers_[atom];
    }
    [[nodiscard]] const RDKit::Bond* bond_pointer(std::uint32_t bond_index) const {
        return bond_pointers_[bond_index];
    }

    [[nodiscard]] std::size_t bytes() const {
        return sizeof(*this) + data_.capacity() * sizeof(std::uint16_t) +
               (atom_pointers_.capacity() + bond_pointers_.capacity()) * sizeof(void*);
    }

private:
    static constexpr std::size_t kHeader = 2;  // atoms, bonds
    [[nodiscard]] std::size_t neighbours_at() const { return kHeader + atoms() + 1; }
    [[nodiscard]] std::size_t atom_fields_at() const { return neighbours_at() + 4 * bonds(); }

    std::vector<std::uint16_t> data_;
    std::vector<const RDKit::Atom*> atom_pointers_;
    std::vector<const RDKit::Bond*> bond_pointers_;
};

class SubstructureMatcher {
public:
    SubstructureMatcher(const RDKit::ROMol& query, bool use_chirality);  // copies the query
    SubstructureMatcher(std::unique_ptr<RDKit::ROMol> query, bool use_chirality);
    SubstructureMatcher(const SubstructureMatcher&) = delete;
    SubstructureMatcher& operator=(const SubstructureMatcher&) = delete;
    ~SubstructureMatcher();

    // True when the target contains the query. An empty query or target contains nothing,
    // as in RDKit. `graph` must be MatchGraph(target); the second form builds it.
    [[nodiscard]] bool matches(const RDKit::ROMol& target, const MatchGraph& graph);
    [[nodiscard]] bool matches(const RDKit::ROMol& target);

private:
    struct Plan;    // one query molecule's search order; substructure_matcher.cpp
    struct Target;  // the current target and the matcher's scratch state for it

    void link_recursive(Plan& plan);

    std::unique_ptr<RDKit::ROMol> query_;
    bool use_chirality_ = false;
    // The main query's plan first, then one per recursive query.
    std::vector<std::unique_ptr<Plan>> plans_;
    std::unique_ptr<Target> target_;
};

}  // namespace molvault::chem
