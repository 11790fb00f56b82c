#include "chem/substructure_matcher.hpp"

#include <optional>
#include <string>
#include <utility>

#include <GraphMol/QueryAtom.h>
#include <GraphMol/QueryOps.h>
#include <GraphMol/ROMol.h>
#include <GraphMol/Substruct/SubstructMatch.h>
#include <GraphMol/Substruct/SubstructUtils.h>

namespace molvault::chem {
namespace {

// RDKit's defaults: recursion possible, chirality off, no query-query matching.
const RDKit::SubstructMatchParameters kParameters{};

constexpr std::int8_t kUnknown = -1;
// MatchGraph stores 16-bit indices.
constexpr std::size_t kMaxGraphIndex = 0xFFFF;
// Where the search starts: an atom of a known element other than carbon has fewer images in a
// drug-like target than a carbon or an any-atom, then the more bonds the better.
constexpr int kRareElementScore = 8;

int start_score(const RDKit::Atom& atom) {
    const int element = atom.getAtomicNum();
    return (element > 0 && element != 6 ? kRareElementScore : 0) +
           static_cast<int>(atom.getDegree());
}

// A plain query atom's fields, for plain_atom_matches().
struct PlainAtom {
    std::uint16_t element = 0;
    std::uint16_t rings = 0;
    std::uint16_t charge = 0;
    std::uint16_t isotope = 0;
    std::uint16_t radicals = 0;
};

std::optional<PlainAtom> plain_atom(const RDKit::Atom& atom) {
    const auto& mol = atom.getOwningMol();
    const auto rings =
        mol.getRingInfo()->isInitialized() ? mol.getRingInfo()->numAtomRings(atom.getIdx()) : 0;
    if (atom.hasQuery() || atom.getIsotope() > kMaxGraphIndex || rings > kMaxGraphIndex) {
        return std::nullopt;
    }
    return PlainAtom{
        .element = static_cast<std::uint16_t>(atom.getAtomicNum()),
        .rings = static_cast<std::uint16_t>(rings),
        .charge = static_cast<std::uint16_t>(atom.getFormalCharge()),
        .isotope = static_cast<std::uint16_t>(atom.getIsotope()),
        .radicals = static_cast<std::uint16_t>(atom.getNumRadicalElectrons()),
    };
}

// RDKit 2022.09's Atom::Match for a plain query atom, on the target's MatchGraph fields: same
// element; the query atom in no more rings than the target atom (ring information is there on
// both sides: a query without it counts 0 rings, as RDKit then skips the test); then a dummy
// atom's isotope, or a real atom's charge, isotope and radicals, where the query sets them.
// tests/unit/chem_search_index_test.cpp holds this against RDKit on targets built to differ in
// each field.
bool plain_atom_matches(const PlainAtom& query, const MatchGraph& graph, std::uint32_t atom) {
    using Field = MatchGraph::AtomField;
    if (query.element != graph.atom_field(Field::kElement, atom) ||
        query.rings > graph.atom_field(Field::kRings, atom)) {
        return false;
    }
    const auto isotope = graph.atom_field(Field::kIsotope, atom);
    if (query.element == 0) {
        return query.isotope == 0 || isotope == 0 || query.isotope == isotope;
    }
    return (query.charge == 0 || query.charge == graph.atom_field(Field::kCharge, atom)) &&
           (query.isotope == 0 || query.isotope == isotope) &&
           (query.radicals == 0 || query.radicals == graph.atom_field(Field::kRadicals, atom));
}

// A query bond RDKit's bondCompat would judge on the target bond's type alone, as the matcher
// judges it on the MatchGraph: a plain bond (from SMILES; an unspecified type on either side
// matches anything, else the types must be equal) or one of the SMARTS bond queries written
// most (`-`, `=`, `#`, `:` as "BondOrder", the implicit single-or-aromatic bond, `~`), not
// negated, not combined. Dative bonds stay with RDKit (it also compares their ends).
struct BondTest {
    enum class Kind : std::uint8_t { kPlain, kOrder, kSingleOrAromatic, kAny };
    Kind kind = Kind::kPlain;
    std::uint16_t type = 0;

    [[nodiscard]] bool passes(std::uint16_t target_type) const {
        constexpr auto kUnspecified = static_cast<std::uint16_t>(RDKit::Bond::UNSPECIFIED);
        constexpr auto kSingle = static_cast<std::uint16_t>(RDKit::Bond::SINGLE);
        constexpr auto kAromatic = static_cast<std::uint16_t>(RDKit::Bond::AROMATIC);
        switch (kind) {
            case Kind::kPlain:
                return type == kUnspecified || target_type == kUnspecified || type == target_type;
            case Kind::kOrder:
                return type == target_type;
            case Kind::kSingleOrAromatic:
                return target_type == kSingle || target_type == kAromatic;
            case Kind::kAny:
                return true;
        }
        return false;
    }
};

std::optional<BondTest> bond_test(const RDKit::Bond& bond) {
    if (bond.getBondType() == RDKit::Bond::DATIVE) {
        return std::nullopt;
    }
    if (!bond.hasQuery()) {
        return BondTest{BondTest::Kind::kPlain, static_cast<std::uint16_t>(bond.getBondType())};
    }
    const auto* query = bond.getQuery();
    if (query->getNegation() || query->beginChildren() != query->endChildren()) {
        return std::nullopt;
    }
    const auto& description = query->getDescription();
    if (description == "BondNull") {
        return BondTest{BondTest::Kind::kAny, 0};
    }
    const auto* equals = dynamic_cast<const RDKit::BOND_EQUALS_QUERY*>(query);
    if (equals == nullptr || equals->getTol() != 0 || equals->getVal() < 0 ||
        equals->getVal() > static_cast<int>(kMaxGraphIndex)) {
        return std::nullopt;
    }
    if (description == "BondOrder") {
        return BondTest{BondTest::Kind::kOrder, static_cast<std::uint16_t>(equals->getVal())};
    }
    if (description == "SingleOrAromaticBond" && equals->getVal() == 1) {
        return BondTest{BondTest::Kind::kSingleOrAromatic, 0};
    }
    return std::nullopt;
}

// The recursive queries ($(...)) in an atom's query tree, not those nested in their molecules.
void recursive_queries(
    RDKit::QueryAtom::QUERYATOM_QUERY* node, std::vector<RDKit::RecursiveStructureQuery*>& found
) {
    if (node->getDescription() == "RecursiveStructure") {
        found.push_back(static_cast<RDKit::RecursiveStructureQuery*>(node));
    }
    for (auto child = node->beginChildren(); child != node->endChildren(); ++child) {
        recursive_queries(child->get(), found);
    }
}

}  // namespace

MatchGraph::MatchGraph(const RDKit::ROMol& mol) {
    const std::size_t atoms = mol.getNumAtoms();
    const std::size_t bonds = mol.getNumBonds();
    if (atoms >= kMaxGraphIndex || 2 * bonds > kMaxGraphIndex ||
        !mol.getRingInfo()->isInitialized()) {
        return;  // left empty: the matcher hands such a molecule to RDKit
    }
    std::vector<std::uint16_t> data(kHeader + atoms + 1 + 4 * bonds + kAtomFields * atoms + bonds);
    data[0] = static_cast<std::uint16_t>(atoms);
    data[1] = static_cast<std::uint16_t>(bonds);
    auto* first = data.data() + kHeader;
    auto* neighbours = first + atoms + 1;
    auto* bond_ids = neighbours + 2 * bonds;
    auto* atom_fields = bond_ids + 2 * bonds;
    auto* bond_types = atom_fields + kAtomFields * atoms;
    for (const auto* bond : mol.bonds()) {
        ++first[bond->getBeginAtomIdx() + 1];
        ++first[bond->getEndAtomIdx() + 1];
        bond_types[bond->getIdx()] = static_cast<std::uint16_t>(bond->getBondType());
    }
    for (std::size_t a = 1; a <= atoms; ++a) {
        first[a] = static_cast<std::uint16_t>(first[a] + first[a - 1]);
    }
    std::vector<std::uint16_t> filled(atoms, 0);
    for (const auto* bond : mol.bonds()) {
        const auto begin = bond->getBeginAtomIdx();
        const auto end = bond->getEndAtomIdx();
        const auto id = static_cast<std::uint16_t>(bond->getIdx());
        const auto at_begin = first[begin] + filled[begin]++;
        const auto at_end = first[end] + filled[end]++;
        neighbours[at_begin] = static_cast<std::uint16_t>(end);
        bond_ids[at_begin] = id;
        neighbours[at_end] = static_cast<std::uint16_t>(begin);
        bond_ids[at_end] = id;
    }
    const auto& rings = *mol.getRingInfo();
    const auto field = [atom_fields, atoms](AtomField f, std::size_t atom) -> std::uint16_t& {
        return atom_fields[static_cast<std::size_t>(f) * atoms + atom];
    };
    for (const auto* atom : mol.atoms()) {
        const auto a = atom->getIdx();
        if (atom->getIsotope() > kMaxGraphIndex || rings.numAtomRings(a) > kMaxGraphIndex) {
            return;
        }
        field(AtomField::kElement, a) = static_cast<std::uint16_t>(atom->getAtomicNum());
        field(AtomField::kRings, a) = static_cast<std::uint16_t>(rings.numAtomRings(a));
        // A negative charge wraps around; charges are only compared for equality and zero.
        field(AtomField::kCharge, a) = static_cast<std::uint16_t>(atom->getFormalCharge());
        field(AtomField::kIsotope, a) = static_cast<std::uint16_t>(atom->getIsotope());
        field(AtomField::kRadicals, a) = static_cast<std::uint16_t>(atom->getNumRadicalElectrons());
    }
    data_ = std::move(data);
    atom_pointers_.assign(atoms, nullptr);
    for (const auto* atom : mol.atoms()) {
        atom_pointers_[atom->getIdx()] = atom;
    }
    bond_pointers_.assign(bonds, nullptr);
    for (const auto* bond : mol.bonds()) {
        bond_pointers_[bond->getIdx()] = bond;
    }
}

// The target being matched.
struct SubstructureMatcher::Target {
    const MatchGraph* graph = nullptr;
    MatchGraph scratch;  // the graph, for a target that came without one

    [[nodiscard]] std::optional<std::uint32_t> bond_between(std::uint32_t a, std::uint32_t b)
        const {
        for (auto k = graph->first(a); k < graph->first(a + 1); ++k) {
            if (graph->neighbour(k) == b) {
                return graph->bond(k);
            }
        }
        return std::nullopt;
    }
};

// One query molecule's search: its atoms in placing order, each (after the first of its
// connected component) bonded to an atom placed before it, whose image's neighbours are its
// candidates; the other bonds to placed atoms are checked once it is placed.
struct SubstructureMatcher::Plan {
    struct Step {
        std::uint32_t atom = 0;
        std::optional<std::uint32_t> parent;  // a placed atom bonded to this one
        std::uint32_t parent_bond = 0;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> closures;  // placed atom, bond
    };

    // For a recursive query's plan: the query whose root set it fills, and per target atom
    // whether that atom is in the set (kUnknown until an atom query asks).
    RDKit::RecursiveStructureQuery* fills = nullptr;
    std::vector<std::int8_t> membership;
    // Per query atom: the plans of the recursive queries in its query tree.
    std::vector<std::vector<Plan*>> recursive;
    std::vector<const RDKit::Atom*> atoms;
    std::vector<const RDKit::Bond*> bonds;
    std::vector<unsigned> degrees;
    // Plain (SMILES) atoms and simple bonds, compared on the MatchGraph's fields; null for
    // the others, which RDKit evaluates.
    std::vector<std::optional<PlainAtom>> plain_atoms;
    std::vector<std::optional<BondTest>> bond_tests;
    std::vector<Step> steps;
    // Per target: RDKit's atom and bond predicates, evaluated once per pair (kUnknown before).
    std::vector<std::int8_t> atom_fits_cache;
    std::vector<std::int8_t> bond_fits_cache;
    std::vector<std::uint32_t> image;  // query atom -> target atom, for placed atoms
    std::vector<std::uint8_t> used;    // target atoms in this plan's partial embedding

    // root: the atom a recursive query's embedding must map onto the atom it tests.
    Plan(const RDKit::ROMol& mol, std::optional<std::uint32_t> root) {
        for (const auto* atom : mol.atoms()) {
            atoms.push_back(atom);
            degrees.push_back(atom->getDegree());
            plain_atoms.push_back(plain_atom(*atom));
        }
        for (const auto* bond : mol.bonds()) {
            bonds.push_back(bond);
            bond_tests.push_back(bond_test(*bond));
        }
        image.assign(atoms.size(), 0);
        recursive.resize(atoms.size());
        std::vector<bool> placed(atoms.size(), false);
        while (steps.size() < atoms.size()) {
            // Next: the atom with the most bonds to placed atoms (ring closures first), then
            // the best start score.
            std::optional<std::uint32_t> best;
            std::pair<int, int> best_key{-1, -1};
            for (std::uint32_t a = 0; a < atoms.size(); ++a) {
                if (placed[a]) {
                    continue;
                }
                int links = 0;
                for (const auto* bond : mol.atomBonds(atoms[a])) {
                    links += placed[bond->getOtherAtomIdx(a)] ? 1 : 0;
                }
                const std::pair key{links, start_score(*atoms[a])};
                if (key > best_key) {
                    best = a;
                    best_key = key;
                }
            }
            if (steps.empty() && root) {
                best = *root;
            }
            Step step;
            step.atom = *best;
            for (const auto* bond : mol.atomBonds(atoms[*best])) {
                const auto other = bond->getOtherAtomIdx(*best);
                if (!placed[other]) {
                    continue;
                }
                if (!step.parent) {
                    step.parent = other;
                    step.parent_bond = bond->getIdx();
                } else {
                    step.closures.emplace_back(other, bond->getIdx());
                }
            }
            placed[*best] = true;
            steps.push_back(std::move(step));
        }
    }

    void begin(const Target& target) {
        atom_fits_cache.assign(atoms.size() * target.graph->atoms(), kUnknown);
        bond_fits_cache.assign(bonds.size() * target.graph->bonds(), kUnknown);
        used.assign(target.graph->atoms(), 0);
        if (fills != nullptr) {
            fills->clear();
            membership.assign(target.graph->atoms(), kUnknown);
        }
    }

    // Puts target atom `on` in this recursive query's root set if an embedding of its molecule
    // can put the root there: decided the first time an atom query asks, as RDKit's set
    // lookups only need the atoms they are asked about.
    void decide_membership(const Target& target, std::uint32_t on) {
        if (membership[on] == kUnknown) {
            membership[on] = embeds(target, on) ? 1 : 0;
            if (membership[on] == 1) {
                fills->insert(static_cast<int>(on));
            }
        }
    }

    // Whether the query embeds in the target (begin() called for it), with the first step's
    // atom on `pinned` if given.
    bool embeds(const Target& target, std::optional<std::uint32_t> pinned) {
        if (atoms.empty() || atoms.size() > target.graph->atoms() ||
            bonds.size() > target.graph->bonds()) {
            return false;
        }
        return pinned ? place(target, 0, *pinned) : extend(target, 0);
    }

    bool atom_fits(const Target& target, std::uint32_t atom, std::uint32_t on) {
        if (plain_atoms[atom]) {
            return plain_atom_matches(*plain_atoms[atom], *target.graph, on);
        }
        auto& known = atom_fits_cache[atom * target.graph->atoms() + on];
        if (known == kUnknown) {
            for (auto* inner : recursive[atom]) {
                inner->decide_membership(target, on);
            }
            known =
                RDKit::atomCompat(atoms[atom], target.graph->atom_pointer(on), kParameters) ? 1 : 0;
        }
        return known == 1;
    }

    // Query bond `bond` on the target's bond `on`.
    bool bond_fits(const Target& target, std::uint32_t bond, std::uint32_t on) {
        if (bond_tests[bond]) {
            return bond_tests[bond]->passes(target.graph->bond_type(on));
        }
        auto& known = bond_fits_cache[bond * target.graph->bonds() + on];
        if (known == kUnknown) {
            known =
                RDKit::bondCompat(bonds[bond], target.graph->bond_pointer(on), kParameters) ? 1 : 0;
        }
        return known == 1;
    }

    // Tries the step's atom on target atom `on`, then the steps after it.
    bool place(const Target& target, std::size_t step, std::uint32_t on) {
        const Step& s = steps[step];
        if (used[on] != 0 || target.graph->degree(on) < degrees[s.atom] ||
            !atom_fits(target, s.atom, on)) {
            return false;
        }
        for (const auto& [other, bond] : s.closures) {
            const auto target_bond = target.bond_between(on, image[other]);
            if (!target_bond || !bond_fits(target, bond, *target_bond)) {
                return false;
            }
        }
        image[s.atom] = on;
        used[on] = 1;
        const bool found = extend(target, step + 1);
        used[on] = 0;
        return found;
    }

    bool extend(const Target& target, std::size_t step) {
        if (step == steps.size()) {
            return true;
        }
        const Step& s = steps[step];
        const MatchGraph& graph = *target.graph;
        if (!s.parent) {
            for (std::uint32_t on = 0; on < graph.atoms(); ++on) {
                if (place(target, step, on)) {
                    return true;
                }
            }
            return false;
        }
        const auto from = image[*s.parent];
        for (auto k = graph.first(from); k < graph.first(from + 1); ++k) {
            const auto to = graph.neighbour(k);
            if (bond_fits(target, s.parent_bond, graph.bond(k)) && place(target, step, to)) {
                return true;
            }
        }
        return false;
    }
};

SubstructureMatcher::SubstructureMatcher(const RDKit::ROMol& query, bool use_chirality)
    : SubstructureMatcher(std::make_unique<RDKit::ROMol>(query), use_chirality) {}

SubstructureMatcher::SubstructureMatcher(std::unique_ptr<RDKit::ROMol> query, bool use_chirality)
    : query_(std::move(query)), use_chirality_(use_chirality), target_(std::make_unique<Target>()) {
    plans_.push_back(std::make_unique<Plan>(*query_, std::nullopt));
    link_recursive(*plans_.front());
}

// Gives each recursive query in the plan's atoms a plan of its own, recursively.
void SubstructureMatcher::link_recursive(Plan& plan) {
    for (std::size_t atom = 0; atom < plan.atoms.size(); ++atom) {
        if (!plan.atoms[atom]->hasQuery()) {
            continue;
        }
        std::vector<RDKit::RecursiveStructureQuery*> found;
        recursive_queries(plan.atoms[atom]->getQuery(), found);
        for (auto* query_node : found) {
            if (query_node->getQueryMol() == nullptr) {
                query_node->clear();  // no molecule: RDKit leaves its root set empty too
                continue;
            }
            const auto& mol = *query_node->getQueryMol();
            int root = 0;
            mol.getPropIfPresent(RDKit::common_properties::_queryRootAtom, root);
            auto inner = std::make_unique<Plan>(mol, static_cast<std::uint32_t>(root));
            inner->fills = query_node;
            plan.recursive[atom].push_back(inner.get());
            plans_.push_back(std::move(inner));
            link_recursive(*plans_.back());
        }
    }
}

SubstructureMatcher::~SubstructureMatcher() = default;

bool SubstructureMatcher::matches(const RDKit::ROMol& target, const MatchGraph& graph) {
    if (use_chirality_ || !graph.usable()) {
        // Chirality needs RDKit's final check; some molecules have no MatchGraph.
        RDKit::MatchVectType match;
        return RDKit::SubstructMatch(target, *query_, match, true, use_chirality_);
    }
    target_->graph = &graph;
    for (auto& plan : plans_) {
        plan->begin(*target_);
    }
    return plans_.front()->embeds(*target_, std::nullopt);
}

bool SubstructureMatcher::matches(const RDKit::ROMol& target) {
    target_->scratch = MatchGraph(target);
    return matches(target, target_->scratch);
}

}  // namespace molvault::chem
