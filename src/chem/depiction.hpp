#pragma once
// depict_svg(): a 2D drawing of a structure as a standalone SVG document (RDKit MolDraw2DSVG;
// atom labels are drawn as paths, so the SVG needs no fonts). Uses the structure's own 2D
// coordinates when it has them, else computes a layout.
//
// Thread-safety: safe to call from any number of threads; each call draws on its own canvas.
// Errors: throws std::invalid_argument when width or height is outside kMinDepictionSize..
// kMaxDepictionSize (callers clamp user input first: an out-of-range size here is a bug).
// RDKit errors while drawing (not seen for sanitized structures) propagate as exceptions.

#include <string>

#include "chem/structure.hpp"

namespace molvault::chem {

constexpr int kMinDepictionSize = 50;
constexpr int kMaxDepictionSize = 2000;

[[nodiscard]] std::string depict_svg(const Structure& structure, int width, int height);

}  // namespace molvault::chem
