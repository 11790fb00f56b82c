#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "chem/depiction.hpp"
#include "chem/structure.hpp"

namespace molvault::chem {
namespace {

TEST(ChemDepiction, DrawsAnSvgDocument) {
    const auto aspirin = parse_smiles("CC(=O)Oc1ccccc1C(=O)O").value();
    const auto svg = depict_svg(aspirin, 300, 200);
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_NE(svg.find("width='300px'"), std::string::npos) << svg.substr(0, 400);
}

TEST(ChemDepiction, DrawsStereoChargesAndStructuresReadFromMolblocks) {
    for (const std::string smiles : {"C[C@H](N)C(=O)O", "F/C=C\\F", "C[N+](C)(C)C.[Cl-]"}) {
        SCOPED_TRACE(smiles);
        const auto structure = parse_smiles(smiles).value();
        const auto from_molblock = parse_molblock(structure.molblock()).value();
        EXPECT_NE(depict_svg(structure, 50, 50).find("</svg>"), std::string::npos);
        EXPECT_NE(depict_svg(from_molblock, 2000, 2000).find("</svg>"), std::string::npos);
    }
}

TEST(ChemDepiction, RejectsSizesOutsideTheRange) {
    const auto ethanol = parse_smiles("CCO").value();
    EXPECT_THROW((void)depict_svg(ethanol, 49, 200), std::invalid_argument);
    EXPECT_THROW((void)depict_svg(ethanol, 200, 2001), std::invalid_argument);
    EXPECT_THROW((void)depict_svg(ethanol, -1, -1), std::invalid_argument);
}

}  // namespace
}  // namespace molvault::chem
