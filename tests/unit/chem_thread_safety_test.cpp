#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chem/structure.hpp"

namespace molvault::chem {
namespace {

// The NCI set shipped by Debian's rdkit-data (scripts/install-deps.sh): "SMILES<tab>id" lines.
constexpr const char* kNciSmiles = "/usr/share/RDKit/Data/NCI/first_5K.smi";
constexpr std::size_t kMolecules = 500;

std::vector<std::string> read_nci_smiles() {
    std::vector<std::string> smiles;
    std::ifstream in(kNciSmiles);
    std::string line;
    while (smiles.size() < kMolecules && std::getline(in, line)) {
        smiles.push_back(line.substr(0, line.find_first_of(" \t")));
    }
    return smiles;
}

// Everything a thread computes for one input, as one comparable string.
std::string describe(const std::string& smiles) {
    const auto parsed = parse_smiles(smiles);
    if (!parsed) {
        return std::string("error ") + kind_name(parsed.error().kind) + ": " +
               parsed.error().message;
    }
    return parsed->canonical_smiles() + " " + parsed->inchikey().value_or("(no InChI)");
}

std::vector<std::string> describe_all(const std::vector<std::string>& inputs) {
    std::vector<std::string> out;
    out.reserve(inputs.size());
    for (const auto& smiles : inputs) {
        out.push_back(describe(smiles));
    }
    return out;
}

TEST(ChemThreadSafety, TwoThreadsParsingTheNciSetMatchSequentialResults) {
    ASSERT_TRUE(std::filesystem::exists(kNciSmiles)) << "install rdkit-data";
    const auto inputs = read_nci_smiles();
    ASSERT_EQ(inputs.size(), kMolecules);
    const auto sequential = describe_all(inputs);

    std::vector<std::string> first;
    std::vector<std::string> second;
    std::thread a([&inputs, &first] { first = describe_all(inputs); });
    std::thread b([&inputs, &second] { second = describe_all(inputs); });
    a.join();
    b.join();

    EXPECT_EQ(first, sequential);
    EXPECT_EQ(second, sequential);
}

TEST(ChemThreadSafety, TwoThreadsSharingStructuresGetTheSameAnswers) {
    const auto inputs = read_nci_smiles();
    std::vector<Structure> shared;
    for (const auto& smiles : inputs) {
        if (auto parsed = parse_smiles(smiles)) {
            shared.push_back(std::move(parsed).value());
        }
    }
    ASSERT_GT(shared.size(), kMolecules * 9 / 10);
    const auto read_all = [&shared] {
        std::vector<std::string> out;
        for (const auto& s : shared) {
            out.push_back(
                s.canonical_smiles() + " " + s.inchikey().value_or("-") + " " +
                std::to_string(s.clogp()) + " " + std::to_string(s.tpsa()) + " " +
                std::to_string(s.rotatable_bonds())
            );
        }
        return out;
    };
    std::vector<std::string> first;
    std::vector<std::string> second;
    std::thread a([&read_all, &first] { first = read_all(); });
    std::thread b([&read_all, &second] { second = read_all(); });
    a.join();
    b.join();
    EXPECT_EQ(first, second);
    EXPECT_EQ(first, read_all());
}

}  // namespace
}  // namespace molvault::chem
