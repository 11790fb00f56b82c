#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chem/standardizer.hpp"
#include "chem/structure.hpp"

namespace molvault::chem {
namespace {

struct ParentCase {
    std::string name;
    std::string input;
    std::string parent;
};

TEST(ChemStandardize, GivesRdkitChargeParent) {
    // Expected parents from /usr/bin/python3 with Debian's RDKit 2022.09.3:
    //   Chem.MolToSmiles(rdMolStandardize.ChargeParent(Chem.MolFromSmiles('<input>')))
    const std::vector<ParentCase> cases = {
        {"aspirin sodium salt", "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]", "CC(=O)Oc1ccccc1C(=O)O"},
        {"amine hydrochloride", "CCN(CC)CC.Cl", "CCN(CC)CC"},
        {"ammonium chloride ion pair", "CC[NH+](CC)CC.[Cl-]", "CCN(CC)CC"},
        {"glycine zwitterion", "[NH3+]CC(=O)[O-]", "NCC(=O)O"},
        {"L-alanine zwitterion with salts",
         "C[C@H]([NH3+])C(=O)[O-].[Na+].[Cl-]",
         "C[C@H](N)C(=O)O"},
        {"potassium D-lactate", "C[C@@H](O)C(=O)[O-].[K+]", "C[C@@H](O)C(=O)O"},
        {"dihydrate", "c1ccccc1C(=O)O.O.O", "O=C(O)c1ccccc1"},
        {"E-alkene salt", "F/C=C/C(=O)[O-].[Na+]", "O=C(O)/C=C/F"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto input = parse_smiles(c.input);
        ASSERT_TRUE(input) << input.error().message;
        const auto result = standardize(*input);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_EQ(result->parent.canonical_smiles(), c.parent);
        EXPECT_TRUE(result->changed);
    }
}

TEST(ChemStandardize, SodiumSaltAndAcidShareCanonicalSmilesAndInchikey) {
    const auto salt = standardize(parse_smiles("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]").value());
    const auto acid = standardize(parse_smiles("CC(=O)Oc1ccccc1C(=O)O").value());
    ASSERT_TRUE(salt);
    ASSERT_TRUE(acid);
    EXPECT_EQ(salt->parent.canonical_smiles(), acid->parent.canonical_smiles());
    EXPECT_EQ(salt->parent.inchikey(), acid->parent.inchikey());
    EXPECT_EQ(salt->parent.inchikey(), "BSYNRYMUTXBXSQ-UHFFFAOYSA-N");
    EXPECT_FALSE(acid->changed);
}

TEST(ChemStandardize, KeepsStereo) {
    const auto l_form = standardize(parse_smiles("C[C@H]([NH3+])C(=O)[O-]").value());
    const auto d_form = standardize(parse_smiles("C[C@@H]([NH3+])C(=O)[O-]").value());
    ASSERT_TRUE(l_form);
    ASSERT_TRUE(d_form);
    EXPECT_EQ(l_form->parent.canonical_smiles(), "C[C@H](N)C(=O)O");
    EXPECT_EQ(d_form->parent.canonical_smiles(), "C[C@@H](N)C(=O)O");
    EXPECT_EQ(l_form->parent.inchikey(), "QNAYBMKLOCPYGJ-REOHCLBHSA-N");
}

TEST(ChemStandardize, LeavesAPermanentChargeAlone) {
    // A quaternary ammonium has no H to give back: the uncharger keeps it.
    const auto result = standardize(parse_smiles("C[N+](C)(C)C.[Cl-]").value());
    ASSERT_TRUE(result);
    EXPECT_EQ(result->parent.canonical_smiles(), "C[N+](C)(C)C");
}

TEST(ChemStandardize, TwoThreadsStandardizingGetTheSameParents) {
    const std::vector<std::string> salts = {
        "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]",
        "CCN(CC)CC.Cl",
        "[NH3+]CC(=O)[O-]",
        "C[C@@H](O)C(=O)[O-].[K+]"};
    const auto run = [&salts] {
        std::vector<std::string> out;
        for (int round = 0; round < 25; ++round) {
            for (const auto& smiles : salts) {
                out.push_back(standardize(parse_smiles(smiles).value())->parent.canonical_smiles());
            }
        }
        return out;
    };
    const auto sequential = run();
    std::vector<std::string> first;
    std::vector<std::string> second;
    std::thread a([&run, &first] { first = run(); });
    std::thread b([&run, &second] { second = run(); });
    a.join();
    b.join();
    EXPECT_EQ(first, sequential);
    EXPECT_EQ(second, sequential);
}

}  // namespace
}  // namespace molvault::chem
