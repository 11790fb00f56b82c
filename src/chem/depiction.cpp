#include "chem/depiction.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <GraphMol/MolDraw2D/MolDraw2DSVG.h>
#include <GraphMol/MolDraw2D/MolDraw2DUtils.h>
#include <GraphMol/RWMol.h>

#include "chem/structure_impl.hpp"

namespace molvault::chem {

std::string depict_svg(const Structure& structure, int width, int height) {
    const auto in_range = [](int size) {
        return size >= kMinDepictionSize && size <= kMaxDepictionSize;
    };
    if (!in_range(width) || !in_range(height)) {
        throw std::invalid_argument("depiction size must be within 50..2000 pixels");
    }
    auto mol = with_mol(structure, [](const RDKit::ROMol& m) {
        return std::make_unique<RDKit::RWMol>(m);
    });
    // Kekulé form, wedges at stereocentres; a new 2D layout unless it already has a 2D one.
    const bool needs_layout = mol->getNumConformers() == 0 || mol->getConformer().is3D();
    RDKit::MolDraw2DUtils::prepareMolForDrawing(
        *mol, /*kekulize=*/true, /*addChiralHs=*/true, /*wedgeBonds=*/true, needs_layout
    );
    RDKit::MolDraw2DSVG drawer(width, height);
    drawer.drawMolecule(*mol);
    drawer.finishDrawing();
    return drawer.getDrawingText();
}

}  // namespace molvault::chem
