// Standard InChI through libinchi 1.03, which has no molfile-text entry point: we build its
// inchi_Input from the RDKit molecule. Stereo reaches InChI the way a drawn structure carries it:
// fresh 2D coordinates plus wedge/hash bonds at stereocentres (RDKit's WedgeMolBonds); double
// bond geometry comes from the coordinates. Implicit hydrogens are passed as counts.

#include <array>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <GraphMol/Depictor/RDDepictor.h>
#include <GraphMol/FileParsers/MolFileStereochem.h>
#include <GraphMol/MolOps.h>
#include <GraphMol/RWMol.h>
#include <inchi_api.h>

#include "chem/structure_impl.hpp"

namespace molvault::chem {
namespace {

// libinchi keeps global state and is not reentrant: every call into it holds this mutex.
std::mutex& inchi_mutex() {
    static std::mutex mutex;
    return mutex;
}

// libinchi's own limits: atom count in a short (< 1024) and MAXVAL neighbours per atom.
constexpr unsigned kMaxInchiAtoms = 1023;
// INCHIKEY is 27 characters; the API asks for a 28-byte buffer.
constexpr std::size_t kInchiKeyBufferSize = 28;

// Frees the strings GetStdINCHI allocated, whatever it returned.
class InchiOutput {
public:
    InchiOutput() = default;
    ~InchiOutput() { FreeStdINCHI(&output_); }
    InchiOutput(const InchiOutput&) = delete;
    InchiOutput& operator=(const InchiOutput&) = delete;
    inchi_Output* get() { return &output_; }

private:
    inchi_Output output_{};  // all pointers null: FreeStdINCHI is safe even if never filled
};

std::optional<S_CHAR> inchi_bond_type(const RDKit::Bond& bond) {
    switch (bond.getBondType()) {
        case RDKit::Bond::SINGLE:
            return INCHI_BOND_TYPE_SINGLE;
        case RDKit::Bond::DOUBLE:
            return INCHI_BOND_TYPE_DOUBLE;
        case RDKit::Bond::TRIPLE:
            return INCHI_BOND_TYPE_TRIPLE;
        default:
            return std::nullopt;  // aromatic (after Kekulize: none), dative, zero-order, ...
    }
}

S_CHAR inchi_bond_stereo(const RDKit::Bond& bond) {
    // RDKit wedges start at the stereocentre, the bond's begin atom, which is the atom whose
    // adjacency list carries the bond below: InChI's "1UP"/"1DOWN" (sharp end at this atom).
    switch (bond.getBondDir()) {
        case RDKit::Bond::BEGINWEDGE:
            return INCHI_BOND_STEREO_SINGLE_1UP;
        case RDKit::Bond::BEGINDASH:
            return INCHI_BOND_STEREO_SINGLE_1DOWN;
        case RDKit::Bond::UNKNOWN:
            return INCHI_BOND_STEREO_SINGLE_1EITHER;
        default:
            return INCHI_BOND_STEREO_NONE;
    }
}

S_CHAR inchi_radical(unsigned radical_electrons) {
    switch (radical_electrons) {
        case 0:
            return INCHI_RADICAL_NONE;
        case 1:
            return INCHI_RADICAL_DOUBLET;
        default:
            return INCHI_RADICAL_TRIPLET;
    }
}

// Fills the atoms of an inchi_Input, or std::nullopt if InChI cannot take the molecule.
std::optional<std::vector<inchi_Atom>> to_inchi_atoms(const RDKit::RWMol& mol) {
    const auto& conformer = mol.getConformer();
    std::vector<inchi_Atom> atoms(mol.getNumAtoms());  // value-initialised: all zero
    for (const auto* atom : mol.atoms()) {
        auto& out = atoms[atom->getIdx()];
        const std::string symbol = atom->getSymbol();
        if (atom->getAtomicNum() == 0 || symbol.size() >= ATOM_EL_LEN) {
            return std::nullopt;  // dummy or query atoms have no InChI
        }
        std::strncpy(out.elname, symbol.c_str(), ATOM_EL_LEN - 1);
        const auto& position = conformer.getAtomPos(atom->getIdx());
        out.x = position.x;
        out.y = position.y;
        out.z = position.z;
        out.charge = static_cast<S_CHAR>(atom->getFormalCharge());
        out.radical = inchi_radical(atom->getNumRadicalElectrons());
        out.isotopic_mass = static_cast<AT_NUM>(atom->getIsotope());
        out.num_iso_H[0] = static_cast<S_CHAR>(atom->getTotalNumHs());
    }
    for (const auto* bond : mol.bonds()) {
        const auto type = inchi_bond_type(*bond);
        if (!type) {
            return std::nullopt;
        }
        auto& begin = atoms[bond->getBeginAtomIdx()];
        if (begin.num_bonds >= MAXVAL) {
            return std::nullopt;
        }
        const auto slot = static_cast<std::size_t>(begin.num_bonds++);
        begin.neighbor[slot] = static_cast<AT_NUM>(bond->getEndAtomIdx());
        begin.bond_type[slot] = *type;
        begin.bond_stereo[slot] = inchi_bond_stereo(*bond);
    }
    return atoms;
}

}  // namespace

std::optional<InchiResult> compute_inchi(const RDKit::ROMol& mol) {
    if (mol.getNumAtoms() == 0 || mol.getNumAtoms() > kMaxInchiAtoms) {
        return std::nullopt;
    }
    RDKit::RWMol work(mol);
    try {
        RDKit::MolOps::Kekulize(work);
    } catch (const RDKit::MolSanitizeException&) {
        return std::nullopt;
    }
    // Stereo lives in RDKit's chiral tags and bond stereo flags; fresh 2D coordinates and wedges
    // re-express exactly that, whatever conformer (3D, hand-drawn, none) the molecule came with.
    work.clearConformers();
    RDDepict::compute2DCoords(work);
    RDKit::WedgeMolBonds(work, &work.getConformer());

    auto atoms = to_inchi_atoms(work);
    if (!atoms) {
        return std::nullopt;
    }
    std::string options = "-AuxNone";  // libinchi wants a mutable char*
    inchi_Input input{};
    input.atom = atoms->data();
    input.stereo0D = nullptr;
    input.szOptions = options.data();
    input.num_atoms = static_cast<AT_NUM>(atoms->size());
    input.num_stereo0D = 0;

    const std::lock_guard lock(inchi_mutex());
    InchiOutput output;
    const int status = GetStdINCHI(&input, output.get());
    if ((status != inchi_Ret_OKAY && status != inchi_Ret_WARNING) ||
        output.get()->szInChI == nullptr) {
        return std::nullopt;
    }
    std::array<char, kInchiKeyBufferSize> key{};
    if (GetStdINCHIKeyFromStdINCHI(output.get()->szInChI, key.data()) != INCHIKEY_OK) {
        return std::nullopt;
    }
    return InchiResult{output.get()->szInChI, key.data()};
}

}  // namespace molvault::chem
