#include "chem/path_keys.hpp"

#include <algorithm>

#include <GraphMol/ROMol.h>

namespace molvault::chem {
namespace {

constexpr std::uint64_t kHashOffset = 0xCBF29CE484222325ULL;  // FNV-1a
constexpr std::uint64_t kHashPrime = 0x100000001B3ULL;
constexpr std::uint64_t kHashSpread = 0x9E3779B97F4A7C15ULL;
// The codes along a path: element, bond type, element, ...
constexpr std::size_t kMaxCodes = 2 * kMaxPathBonds + 1;

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

// Walks every simple path of plain atoms and bonds from every atom, setting each one's key.
class PathWalk {
public:
    explicit PathWalk(const RDKit::ROMol& mol) : mol_(mol) {}

    PathKeys run() {
        for (const auto* atom : mol_.atoms()) {
            if (plain(*atom)) {
                atoms_[0] = atom;
                codes_[0] = static_cast<std::uint32_t>(atom->getAtomicNum());
                extend(0);
            }
        }
        return keys_;
    }

private:
    void extend(std::size_t bonds) {
        const RDKit::Atom* last = atoms_[bonds];
        for (const auto* bond : mol_.atomBonds(last)) {
            const RDKit::Atom* next = bond->getOtherAtom(last);
            const auto path_end = atoms_.begin() + static_cast<std::ptrdiff_t>(bonds + 1);
            if (!plain(*bond) || !plain(*next) ||
                std::find(atoms_.begin(), path_end, next) != path_end) {
                continue;
            }
            atoms_[bonds + 1] = next;
            codes_[2 * bonds + 1] = static_cast<std::uint32_t>(bond->getBondType());
            codes_[2 * bonds + 2] = static_cast<std::uint32_t>(next->getAtomicNum());
            set_key(2 * bonds + 3);
            if (bonds + 1 < kMaxPathBonds) {
                extend(bonds + 1);
            }
        }
    }

    void set_key(std::size_t length) {
        bool backwards = false;
        for (std::size_t i = 0, j = length - 1; i < j; ++i, --j) {
            if (codes_[i] != codes_[j]) {
                backwards = codes_[j] < codes_[i];
                break;
            }
        }
        std::uint64_t hash = kHashOffset;
        for (std::size_t i = 0; i < length; ++i) {
            hash = (hash ^ codes_[backwards ? length - 1 - i : i]) * kHashPrime;
        }
        const std::size_t bit = (hash * kHashSpread) >> 54;  // top 10 bits: kPathKeyBits
        keys_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }

    const RDKit::ROMol& mol_;
    std::array<const RDKit::Atom*, kMaxPathBonds + 1> atoms_{};
    std::array<std::uint32_t, kMaxCodes> codes_{};
    PathKeys keys_{};
};

static_assert(kPathKeyBits == std::size_t{1} << 10, "set_key takes 10 bits of the hash");

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
    return PathWalk(mol).run();
}

PathKeys query_path_keys(const RDKit::ROMol& query) { return PathWalk(query).run(); }

}  // namespace molvault::chem
