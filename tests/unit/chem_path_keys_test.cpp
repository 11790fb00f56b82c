#include <memory>
#include <string>
#include <vector>

#include <GraphMol/RWMol.h>
#include <GraphMol/SmilesParse/SmilesParse.h>
#include <gtest/gtest.h>

#include "chem/path_keys.hpp"

namespace {

using molvault::chem::PathKeys;
using molvault::chem::query_path_keys;
using molvault::chem::target_path_keys;

std::unique_ptr<RDKit::RWMol> smiles(const std::string& text) {
    std::unique_ptr<RDKit::RWMol> mol(RDKit::SmilesToMol(text));
    EXPECT_TRUE(mol) << text;
    return mol;
}

bool subset(const PathKeys& a, const PathKeys& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if ((a[i] & ~b[i]) != 0) {
            return false;
        }
    }
    return true;
}

std::size_t count(const PathKeys& keys) {
    std::size_t n = 0;
    for (const auto word : keys) {
        n += static_cast<std::size_t>(std::popcount(word));
    }
    return n;
}

TEST(PathKeys, ASubstructuresKeysAreAmongTheTargets) {
    const std::vector<std::pair<std::string, std::string>> pairs = {
        {"c1ccccc1", "Cc1ccc(O)cc1"},
        {"CCN", "CCCCN(C)C"},
        {"C(=O)O", "CC(=O)OCC"},
        {"NC(=O)c1ccccc1", "CN(C)C(=O)c1ccc(Cl)cc1"},
        {"C1CCNCC1", "O=C(N1CCCCC1)c1ccccc1"},
        {"[O-][N+]=O", "C[N+](=O)[O-]"},
    };
    for (const auto& [query, target] : pairs) {
        SCOPED_TRACE(query + " in " + target);
        const auto q = query_path_keys(*smiles(query));
        EXPECT_GT(count(q), 0U);
        EXPECT_TRUE(subset(q, target_path_keys(*smiles(target))));
    }
}

TEST(PathKeys, KeysScreenOutWhatCannotMatch) {
    // Bond orders, elements and lengths count.
    EXPECT_FALSE(subset(query_path_keys(*smiles("C=C")), target_path_keys(*smiles("CCCC"))));
    EXPECT_FALSE(subset(query_path_keys(*smiles("CCS")), target_path_keys(*smiles("CCO"))));
    EXPECT_FALSE(subset(query_path_keys(*smiles("CCCCCCO")), target_path_keys(*smiles("CCCCO"))));
    EXPECT_FALSE(subset(query_path_keys(*smiles("c1ccccc1")), target_path_keys(*smiles("C1CCCCC1")))
    );
}

TEST(PathKeys, AreTheSameReadFromEitherEnd) {
    EXPECT_EQ(target_path_keys(*smiles("OCCN")), target_path_keys(*smiles("NCCO")));
    EXPECT_EQ(query_path_keys(*smiles("OC=CN")), query_path_keys(*smiles("NC=CO")));
}

TEST(PathKeys, ATargetWithABondRdkitMatchesLooselyHasEveryKey) {
    // A dative bond is not one of the plain bond types a key names.
    const auto keys = target_path_keys(*smiles("[NH3]->[Cu]"));
    EXPECT_EQ(count(keys), molvault::chem::kPathKeyBits);
}

TEST(PathKeys, AQueryLeavesOutPathsThroughQueryAtomsAndBonds) {
    // SMARTS atoms and bonds are queries: no path of "[#6]~[#7]" is keyed.
    std::unique_ptr<RDKit::RWMol> query(RDKit::SmartsToMol("[#6]~[#7]"));
    ASSERT_TRUE(query);
    EXPECT_EQ(count(query_path_keys(*query)), 0U);
    // A SMILES wildcard is a plain dummy atom, which RDKit matches only to a dummy atom.
    EXPECT_FALSE(subset(query_path_keys(*smiles("*CC")), target_path_keys(*smiles("CCC"))));
    EXPECT_TRUE(subset(query_path_keys(*smiles("*CC")), target_path_keys(*smiles("[1*]CCC"))));
}

}  // namespace
