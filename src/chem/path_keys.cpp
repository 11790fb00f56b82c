#include "chem/path_keys.hpp"

#include <algorithm>
#include <bit>

#include <GraphMol/ROMol.h>

namespace molvault::chem {
namespace {

constexpr std::uint64_t kHashOffset = 0xCBF29CE484222325ULL;  // FNV-1a
constexpr std::uint64_t kHashPrime = 0x100000001B3ULL;
constexpr std::uint64_t kHashSpread = 0x9E3779B97F4A7C15ULL;
static_assert(std::has_single_bit(kPathKeyBits), "a key's bits are parts of its hash");
constexpr int kKeyBitsLog2 = std::countr_zero(kPathKeyBits);
// The codes along a path (element, bond type, element, ...) or around a ring (element, bond
// type, ..., bond type back to the first).
constexpr std::size_t kMaxRingCodes = 2 * (kMaxPathBonds + 1);

bool plain(const RDKit::Atom& atom) { return !atom.hasQuery(); }

bool plain(const RDKit::Bond& bond) {
    if (bond.hasQuery()) {
        return false;
    }
    switch (bond.getBondType()) {
        case RDKit::Bond::SINGLE:
        case RDKit::Bond::DOUBLE:
        case RDKit::Bond::TRIPLE:
        case RDKit::Bond::AROMATIC:
            return true;
        default:
            return false;
    }
}

// What a key hashes first, so that a path, a ring and a branch of the same codes hash apart.
enum class KeyKind : std::uint32_t { kPath = 1000, kRing, kBranch };

std::uint32_t code(const RDKit::Atom& atom) {
    return static_cast<std::uint32_t>(atom.getAtomicNum());
}
std::uint32_t code(const RDKit::Bond& bond) {
    return static_cast<std::uint32_t>(bond.getBondType());
}

// Sets the keys of a molecule's plain atoms and bonds: every simple path of 1 to
// kMaxPathBonds bonds, every ring of 3 to kMaxPathBonds + 1 atoms, every three bonds around an
// atom. It walks its own copy of the plain part of the graph (codes and neighbour lists), which
// is about twice as quick as going through RDKit's for every step of every path.
class KeyWalk {
public:
    explicit KeyWalk(const RDKit::ROMol& mol) {
        const auto atoms = mol.getNumAtoms();
        atom_codes_.resize(atoms);
        first_.assign(atoms + 1, 0);
        for (const auto* atom : mol.atoms()) {
            atom_codes_[atom->getIdx()] = plain(*atom) ? code(*atom) : kNotPlain;
        }
        const auto usable = [this](const RDKit::Bond& bond) {
            return plain(bond) && atom_codes_[bond.getBeginAtomIdx()] != kNotPlain &&
                   atom_codes_[bond.getEndAtomIdx()] != kNotPlain;
        };
        for (const auto* bond : mol.bonds()) {
            if (usable(*bond)) {
                ++first_[bond->getBeginAtomIdx() + 1];
                ++first_[bond->getEndAtomIdx() + 1];
            }
        }
        for (std::size_t a = 0; a < atoms; ++a) {
            first_[a + 1] += first_[a];
        }
        neighbours_.resize(first_[atoms]);
        bond_codes_.resize(first_[atoms]);
        std::vector<std::uint32_t> fill(first_.begin(), first_.end() - 1);
        for (const auto* bond : mol.bonds()) {
            if (usable(*bond)) {
                const auto a = bond->getBeginAtomIdx();
                const auto b = bond->getEndAtomIdx();
                neighbours_[fill[a]] = b;
                bond_codes_[fill[a]++] = code(*bond);
                neighbours_[fill[b]] = a;
                bond_codes_[fill[b]++] = code(*bond);
            }
        }
    }

    PathKeys run() {
        for (std::uint32_t atom = 0; atom < atom_codes_.size(); ++atom) {
            if (atom_codes_[atom] != kNotPlain) {
                path_[0] = atom;
                codes_[0] = atom_codes_[atom];
                extend(0);
                set_branch_keys(atom);
            }
        }
        return keys_;
    }

private:
    static constexpr std::uint32_t kNotPlain = ~std::uint32_t{0};

    void extend(std::size_t bonds) {
        const std::uint32_t last = path_[bonds];
        for (std::uint32_t k = first_[last]; k < first_[last + 1]; ++k) {
            const std::uint32_t next = neighbours_[k];
            if (next == path_[0]) {
                // Each ring once: from its lowest atom, towards the lower of that atom's two
                // neighbours on it.
                if (bonds >= 2 && lowest_first(bonds) && path_[1] < last) {
                    codes_[2 * bonds + 1] = bond_codes_[k];
                    set_ring_key(bonds + 1);
                }
                continue;
            }
            const auto path_end = path_.begin() + static_cast<std::ptrdiff_t>(bonds + 1);
            if (bonds == kMaxPathBonds || std::find(path_.begin(), path_end, next) != path_end) {
                continue;
            }
            path_[bonds + 1] = next;
            codes_[2 * bonds + 1] = bond_codes_[k];
            codes_[2 * bonds + 2] = atom_codes_[next];
            if (path_[0] < next) {  // each path once, from its lower end
                set_path_key(2 * bonds + 3);
            }
            extend(bonds + 1);
        }
    }

    // Whether the path's first atom has the lowest index of its atoms.
    bool lowest_first(std::size_t bonds) const {
        for (std::size_t i = 1; i <= bonds; ++i) {
            if (path_[i] < path_[0]) {
                return false;
            }
        }
        return true;
    }

    // The path's codes in the direction that reads smaller, so that both ends give one key.
    void set_path_key(std::size_t length) {
        bool backwards = false;
        for (std::size_t i = 0, j = length - 1; i < j; ++i, --j) {
            if (codes_[i] != codes_[j]) {
                backwards = codes_[j] < codes_[i];
                break;
            }
        }
        std::uint64_t hash = mix(kHashOffset, static_cast<std::uint32_t>(KeyKind::kPath));
        for (std::size_t i = 0; i < length; ++i) {
            hash = mix(hash, codes_[backwards ? length - 1 - i : i]);
        }
        set(hash);
    }

    // A ring of n atoms: codes_ holds atom, bond, atom, ..., bond (2n codes). Its key reads the
    // ring from the atom and in the direction that give the smallest sequence.
    void set_ring_key(std::size_t atoms) {
        const std::size_t length = 2 * atoms;
        std::array<std::uint32_t, kMaxRingCodes> best{};
        std::array<std::uint32_t, kMaxRingCodes> candidate{};
        bool first = true;
        for (std::size_t start = 0; start < length; start += 2) {
            for (const bool forward : {true, false}) {
                // Backwards from an atom, the bond before it comes next.
                for (std::size_t k = 0; k < length; ++k) {
                    candidate[k] =
                        codes_[forward ? (start + k) % length : (start + length - k) % length];
                }
                if (first || std::lexicographical_compare(
                                 candidate.begin(),
                                 candidate.begin() + static_cast<std::ptrdiff_t>(length),
                                 best.begin(),
                                 best.begin() + static_cast<std::ptrdiff_t>(length)
                             )) {
                    best = candidate;
                    first = false;
                }
            }
        }
        std::uint64_t hash = mix(kHashOffset, static_cast<std::uint32_t>(KeyKind::kRing));
        for (std::size_t k = 0; k < length; ++k) {
            hash = mix(hash, best[k]);
        }
        set(hash);
    }

    // Every three of an atom's plain bonds, with the atoms at their other ends: a query atom's
    // three bonds map onto three bonds of its image.
    void set_branch_keys(std::uint32_t atom) {
        std::vector<std::uint32_t> arms;
        for (std::uint32_t k = first_[atom]; k < first_[atom + 1]; ++k) {
            arms.push_back(bond_codes_[k] << 16 | atom_codes_[neighbours_[k]]);
        }
        std::sort(arms.begin(), arms.end());
        for (std::size_t a = 0; a < arms.size(); ++a) {
            for (std::size_t b = a + 1; b < arms.size(); ++b) {
                for (std::size_t c = b + 1; c < arms.size(); ++c) {
                    std::uint64_t hash =
                        mix(kHashOffset, static_cast<std::uint32_t>(KeyKind::kBranch));
                    for (const auto arm : {atom_codes_[atom], arms[a], arms[b], arms[c]}) {
                        hash = mix(hash, arm);
                    }
                    set(hash);
                }
            }
        }
    }

    static std::uint64_t mix(std::uint64_t hash, std::uint32_t value) {
        return (hash ^ value) * kHashPrime;
    }

    // Two bits per key, from two parts of its hash: a query's rare key then passes a molecule
    // that lacks it only when both bits were set by others.
    void set(std::uint64_t hash) {
        const std::uint64_t spread = hash * kHashSpread;
        for (const std::uint64_t part : {spread, spread << kKeyBitsLog2}) {
            const std::size_t bit = part >> (64 - kKeyBitsLog2);
            keys_[bit / 64] |= std::uint64_t{1} << (bit % 64);
        }
    }

    std::vector<std::uint32_t> atom_codes_;  // element, or kNotPlain
    std::vector<std::uint32_t> first_;       // atom a's neighbours: [first_[a], first_[a + 1])
    std::vector<std::uint32_t> neighbours_;  // over plain bonds between plain atoms only
    std::vector<std::uint32_t> bond_codes_;
    std::array<std::uint32_t, kMaxPathBonds + 1> path_{};  // atom indices
    std::array<std::uint32_t, kMaxRingCodes> codes_{};
    PathKeys keys_{};
};

}  // namespace

PathKeys target_path_keys(const RDKit::ROMol& mol) {
    bool all_plain = true;
    for (const auto* atom : mol.atoms()) {
        all_plain = all_plain && plain(*atom);
    }
    for (const auto* bond : mol.bonds()) {
        all_plain = all_plain && plain(*bond);
    }
    if (!all_plain) {
        PathKeys every;
        every.fill(~std::uint64_t{0});
        return every;
    }
    return KeyWalk(mol).run();
}

PathKeys query_path_keys(const RDKit::ROMol& query) { return KeyWalk(query).run(); }

}  // namespace molvault::chem
