#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "chem/structure.hpp"
#include "support/parsed_structure.hpp"

namespace molvault::chem {
namespace {

constexpr const char* kAspirin = "CC(=O)Oc1ccccc1C(=O)O";
constexpr const char* kCaffeine = "CN1C=NC2=C1C(=O)N(C(=O)N2C)C";

using test::parse_or_die;

// ---------------------------------------------------------------------------------------------
// Canonical SMILES

struct CanonicalCase {
    std::string input;
    std::string canonical;
};

TEST(ChemCanonicalSmiles, AgreesWithRdkitForTrickyInputs) {
    // Every expected string was produced by Debian's RDKit 2022.09.3 itself:
    //   /usr/bin/python3 -c "from rdkit import Chem;
    //       print(Chem.MolToSmiles(Chem.MolFromSmiles('<input>')))"
    const std::vector<CanonicalCase> cases = {
        // aromaticity: Kekulé and aromatic input give one form
        {"C1=CC=CC=C1", "c1ccccc1"},
        {"c1ccccc1", "c1ccccc1"},
        {"n1ccccc1", "c1ccncc1"},
        {"C1=CC=NC=C1", "c1ccncc1"},
        {"c1cc[nH]c1", "c1cc[nH]c1"},
        {"C1=CNC=C1", "c1cc[nH]c1"},
        // charges and zwitterions
        {"C[N+](C)(C)C", "C[N+](C)(C)C"},
        {"[NH3+]CC(=O)[O-]", "[NH3+]CC(=O)[O-]"},
        {"C[N+](C)(C)CC([O-])=O", "C[N+](C)(C)CC(=O)[O-]"},
        // tetrahedral stereo, also written from the other end
        {"C[C@H](N)C(=O)O", "C[C@H](N)C(=O)O"},
        {"C[C@@H](N)C(=O)O", "C[C@@H](N)C(=O)O"},
        {"N[C@@H](C)C(O)=O", "C[C@H](N)C(=O)O"},
        // E/Z
        {"F/C=C/F", "F/C=C/F"},
        {"F/C=C\\F", "F/C=C\\F"},
        {"F\\C=C\\F", "F/C=C/F"},
        // isotopes
        {"[13CH4]", "[13CH4]"},
        {"[2H]C", "[2H]C"},
        {"C([2H])([2H])[2H]", "[2H]C([2H])[2H]"},
        // atom order of the input does not matter
        {"OC(=O)c1ccccc1OC(C)=O", "CC(=O)Oc1ccccc1C(=O)O"},
        {"Cn1cnc2c1c(=O)n(C)c(=O)n2C", "Cn1c(=O)c2c(ncn2C)n(C)c1=O"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        const auto parsed = parse_smiles(c.input);
        ASSERT_TRUE(parsed) << parsed.error().message;
        EXPECT_EQ(parsed->canonical_smiles(), c.canonical);
    }
}

TEST(ChemCanonicalSmiles, EnantiomersStayDistinct) {
    EXPECT_NE(
        parse_or_die("C[C@H](N)C(=O)O").canonical_smiles(),
        parse_or_die("C[C@@H](N)C(=O)O").canonical_smiles()
    );
}

TEST(ChemCanonicalSmiles, NoStereoFormMergesEnantiomersButKeepsIsotopes) {
    // Expected values from python3-rdkit: Chem.RemoveStereochemistry(m); Chem.MolToSmiles(m)
    EXPECT_EQ(parse_or_die("C[C@H](N)C(=O)O").no_stereo_smiles(), "CC(N)C(=O)O");
    EXPECT_EQ(parse_or_die("C[C@@H](N)C(=O)O").no_stereo_smiles(), "CC(N)C(=O)O");
    EXPECT_EQ(parse_or_die("F/C=C\\F").no_stereo_smiles(), "FC=CF");
    EXPECT_EQ(parse_or_die("[13CH3][C@H](N)C(=O)O").no_stereo_smiles(), "[13CH3]C(N)C(=O)O");
}

TEST(ChemCanonicalSmiles, TautomerHashMatchesRdkitMolHash) {
    // Expected values from python3-rdkit:
    //   rdMolHash.MolHash(m, rdMolHash.HashFunction.HetAtomTautomer)
    const auto hydroxypyridine = parse_or_die("Oc1ccccn1").tautomer_hash();
    EXPECT_EQ(hydroxypyridine, "[O][C]1[CH][CH][CH][CH][N]1_1_0");
    EXPECT_EQ(parse_or_die("O=c1cccc[nH]1").tautomer_hash(), hydroxypyridine);
    // Keto/enol moves H onto carbon: not a heteroatom tautomer, so the hashes differ.
    EXPECT_EQ(parse_or_die("CC(=O)C").tautomer_hash(), "C[C](C)[O]_0_0");
    EXPECT_EQ(parse_or_die("CC(O)=C").tautomer_hash(), "[CH2][C](C)[O]_1_0");
}

// ---------------------------------------------------------------------------------------------
// InChI

struct InchiCase {
    std::string name;
    std::string smiles;
    std::string inchi;
    std::string inchikey;
};

TEST(ChemInchi, MatchesPublishedIdentifiers) {
    // Debian's python3-rdkit is built without InChI (no Chem.MolToInchiKey), so these are the
    // published standard InChI strings and keys (PubChem), not values computed here.
    const std::vector<InchiCase> cases = {
        {"aspirin",
         kAspirin,
         "InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)",
         "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"},
        {"caffeine",
         kCaffeine,
         "InChI=1S/C8H10N4O2/c1-10-4-9-6-5(10)7(13)12(3)8(14)11(6)2/h4H,1-3H3",
         "RYYVLZVUVIJVGH-UHFFFAOYSA-N"},
        {"L-alanine",
         "C[C@H](N)C(=O)O",
         "InChI=1S/C3H7NO2/c1-2(4)3(5)6/h2H,4H2,1H3,(H,5,6)/t2-/m0/s1",
         "QNAYBMKLOCPYGJ-REOHCLBHSA-N"},
        {"ethanol", "CCO", "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"},
        {"tetramethylammonium (cation)",
         "C[N+](C)(C)C",
         "InChI=1S/C4H12N/c1-5(2,3)4/h1-4H3/q+1",
         "QEMXHQIAXOOASZ-UHFFFAOYSA-N"},
        {"acetate (anion)",
         "CC(=O)[O-]",
         "InChI=1S/C2H4O2/c1-2(3)4/h1H3,(H,3,4)/p-1",
         "QTBSBXVTEAMEQO-UHFFFAOYSA-M"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto structure = parse_or_die(c.smiles);
        EXPECT_EQ(structure.inchi(), c.inchi);
        EXPECT_EQ(structure.inchikey(), c.inchikey);
    }
}

TEST(ChemInchi, CarriesStereoAndIsotopeLayers) {
    // D-alanine differs from L-alanine only in the stereo layer (/m1) and key block two.
    const auto d_alanine = parse_or_die("C[C@@H](N)C(=O)O");
    EXPECT_EQ(d_alanine.inchi(), "InChI=1S/C3H7NO2/c1-2(4)3(5)6/h2H,4H2,1H3,(H,5,6)/t2-/m1/s1");
    EXPECT_EQ(d_alanine.inchikey(), "QNAYBMKLOCPYGJ-UWTATZPHSA-N");
    EXPECT_EQ(parse_or_die("F/C=C/F").inchi(), "InChI=1S/C2H2F2/c3-1-2-4/h1-2H/b2-1+");
    EXPECT_EQ(parse_or_die("F/C=C\\F").inchi(), "InChI=1S/C2H2F2/c3-1-2-4/h1-2H/b2-1-");
    EXPECT_EQ(parse_or_die("[13CH4]").inchi(), "InChI=1S/CH4/h1H4/i1+1");
    EXPECT_EQ(parse_or_die("[2H]C").inchi(), "InChI=1S/CH4/h1H4/i1D");
}

TEST(ChemInchi, IsAbsentForDummyAtoms) {
    const auto structure = parse_or_die("*CC");
    EXPECT_EQ(structure.inchi(), std::nullopt);
    EXPECT_EQ(structure.inchikey(), std::nullopt);
    EXPECT_EQ(structure.canonical_smiles(), "*CC");
}

// ---------------------------------------------------------------------------------------------
// Descriptors

struct DescriptorCase {
    std::string name;
    std::string smiles;
    std::string formula;
    double average_mass;
    double exact_mass;
    int heavy_atoms;
    double clogp;
    double tpsa;
    int hbd;
    int hba;
    int rotatable_bonds;
};

TEST(ChemDescriptors, EqualPythonRdkitValues) {
    // From /usr/bin/python3 with Debian's RDKit 2022.09.3: Descriptors.MolWt, ExactMolWt,
    // rdMolDescriptors.CalcMolFormula, m.GetNumHeavyAtoms(), Crippen.MolLogP,
    // rdMolDescriptors.CalcTPSA, CalcNumHBD, CalcNumHBA, CalcNumRotatableBonds.
    const std::vector<DescriptorCase> cases = {
        {"aspirin",
         kAspirin,
         "C9H8O4",
         180.15899999999996,
         180.042258736,
         13,
         1.3101,
         63.60000000000001,
         1,
         3,
         2},
        {"caffeine", kCaffeine, "C8H10N4O2", 194.194, 194.08037556, 14, -1.0293, 61.82, 0, 6, 0},
    };
    constexpr double kTolerance = 1e-6;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto s = parse_or_die(c.smiles);
        EXPECT_EQ(s.formula(), c.formula);
        EXPECT_NEAR(s.average_mass(), c.average_mass, kTolerance);
        EXPECT_NEAR(s.exact_mass(), c.exact_mass, kTolerance);
        EXPECT_EQ(s.heavy_atom_count(), c.heavy_atoms);
        EXPECT_NEAR(s.clogp(), c.clogp, kTolerance);
        EXPECT_NEAR(s.tpsa(), c.tpsa, kTolerance);
        EXPECT_EQ(s.hbd(), c.hbd);
        EXPECT_EQ(s.hba(), c.hba);
        EXPECT_EQ(s.rotatable_bonds(), c.rotatable_bonds);
    }
}

TEST(ChemDescriptors, FormulaCarriesTheCharge) {
    EXPECT_EQ(parse_or_die("C[N+](C)(C)C").formula(), "C4H12N+");
    EXPECT_EQ(parse_or_die("CC(=O)[O-]").formula(), "C2H3O2-");
}

// ---------------------------------------------------------------------------------------------
// Errors

struct ErrorCase {
    std::string name;
    std::string input;
    ChemError::Kind kind;
    std::string message_part;
    std::optional<int> atom_index;
};

bool has_timestamp(const std::string& message) {
    // RDKit's log prefix looks like "[12:34:56] "
    for (std::size_t i = 0; i + 10 <= message.size(); ++i) {
        if (message[i] == '[' && message[i + 3] == ':' && message[i + 6] == ':' &&
            message[i + 9] == ']') {
            return true;
        }
    }
    return false;
}

TEST(ChemParseErrors, ReportKindMessageAndAtom) {
    const std::vector<ErrorCase> cases = {
        {"empty", "", ChemError::kEmpty, "empty", std::nullopt},
        {"blank", "   ", ChemError::kEmpty, "empty", std::nullopt},
        {"too long",
         std::string(kDefaultMaxSmilesLength + 1, 'C'),
         ChemError::kTooLong,
         "longer than 10000",
         std::nullopt},
        {"NUL byte",
         std::string("CC\0O", 4),
         ChemError::kSyntax,
         "control character at position 2",
         std::nullopt},
        {"newline", "CCO\n", ChemError::kSyntax, "control character at position 3", std::nullopt},
        {"binary garbage",
         "\x89PNG\r\n\x1a\n\xff\xfe",
         ChemError::kSyntax,
         "non-ASCII byte",
         std::nullopt},
        {"unclosed ring", "C1CC", ChemError::kSyntax, "unclosed ring", std::nullopt},
        {"unbalanced branch", "CC(", ChemError::kSyntax, "SMILES Parse Error", std::nullopt},
        {"unknown element", "[Xx]", ChemError::kSyntax, "SMILES Parse Error", std::nullopt},
        {"five-membered all-carbon aromatic ring",
         "c1cccc1",
         ChemError::kKekulize,
         "Can't kekulize",
         0},
        {"pentavalent carbon",
         "C(C)(C)(C)(C)C",
         ChemError::kValence,
         "Explicit valence for atom # 0 C, 5",
         0},
        {"pentavalent carbon later in the chain",
         "c1ccccc1C(F)(F)(F)F",
         ChemError::kValence,
         "atom # 6",
         6},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto parsed = parse_smiles(c.input);
        ASSERT_FALSE(parsed);
        const auto& error = parsed.error();
        EXPECT_EQ(kind_name(error.kind), std::string(kind_name(c.kind)));
        EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.message;
        EXPECT_EQ(error.atom_index, c.atom_index);
        EXPECT_FALSE(has_timestamp(error.message)) << error.message;
    }
}

TEST(ChemParseErrors, LengthLimitIsConfigurable) {
    ParseOptions options;
    options.max_smiles_length = 3;
    EXPECT_TRUE(parse_smiles("CCO", options));
    const auto parsed = parse_smiles("CCCO", options);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind, ChemError::kTooLong);
}

TEST(ChemParseErrors, TooManyAtomsAreRefusedBeforeSanitizing) {
    ParseOptions options;
    options.max_atoms = 40;
    // Explicit hydrogens do not count; heavy atoms do.
    EXPECT_TRUE(parse_smiles(std::string(40, 'C'), options));
    EXPECT_TRUE(parse_smiles("[H]" + std::string(40, 'C') + "[H]", options));
    const auto chain = parse_smiles(std::string(41, 'C'), options);
    ASSERT_FALSE(chain);
    EXPECT_EQ(chain.error().kind, ChemError::kTooLong);
    EXPECT_NE(chain.error().message.find("41 heavy atoms, more than 40"), std::string::npos)
        << chain.error().message;
    // A syntax error in a long SMILES is still a syntax error.
    EXPECT_EQ(parse_smiles("C1" + std::string(60, 'C'), options).error().kind, ChemError::kSyntax);

    // The same limit for mol blocks: 41 carbons in a chain, as V2000.
    std::string molblock = "\n  hand-written\n\n 41 40  0  0  0  0  0  0  0  0999 V2000\n";
    for (int i = 0; i < 41; ++i) {
        molblock += "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n";
    }
    for (int i = 1; i < 41; ++i) {
        molblock += fmt::format("{:3}{:3}  1  0\n", i, i + 1);
    }
    molblock += "M  END\n";
    const auto record = parse_molblock(molblock, options);
    ASSERT_FALSE(record);
    EXPECT_EQ(record.error().kind, ChemError::kTooLong);
    options.max_atoms = 41;
    EXPECT_TRUE(parse_molblock(molblock, options));
}

TEST(ChemParseErrors, TheDefaultAtomLimitRefusesAChainTooLongToPerceiveQuickly) {
    // RDKit's stereo perception would spend about a minute on this one.
    const auto parsed = parse_smiles(std::string(4'000, 'C'));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind, ChemError::kTooLong);
}

TEST(ChemParseErrors, LongInputIsQuotedOnlyInPart) {
    const std::string input = "C1" + std::string(5000, 'C');  // unclosed ring
    const auto parsed = parse_smiles(input);
    ASSERT_FALSE(parsed);
    EXPECT_LE(parsed.error().message.size(), 300U);
}

TEST(ChemParseErrors, EachThreadGetsOnlyItsOwnParseMessage) {
    // RDKit writes parse errors to one process-wide log; concurrent failures must not mix.
    constexpr int kRounds = 1000;
    const auto run = [](const std::string& bad, const std::string& other, int& mixed) {
        for (int i = 0; i < kRounds; ++i) {
            const auto parsed = parse_smiles(bad);
            if (parsed || parsed.error().message.find(bad) == std::string::npos ||
                parsed.error().message.find(other) != std::string::npos) {
                ++mixed;
            }
        }
    };
    int mixed_a = 0;
    int mixed_b = 0;
    std::thread a(run, "CCCCC(", "NNNNN[", std::ref(mixed_a));
    std::thread b(run, "NNNNN[", "CCCCC(", std::ref(mixed_b));
    a.join();
    b.join();
    EXPECT_EQ(mixed_a, 0);
    EXPECT_EQ(mixed_b, 0);
}

TEST(ChemParseErrors, MolblockErrorsUseTheSameKinds) {
    EXPECT_EQ(parse_molblock("").error().kind, ChemError::kEmpty);
    EXPECT_EQ(parse_molblock("not a mol block\n").error().kind, ChemError::kSyntax);
    EXPECT_EQ(parse_molblock(std::string("x\0y", 3)).error().kind, ChemError::kSyntax);
    ParseOptions options;
    options.max_molblock_length = 10;
    EXPECT_EQ(parse_molblock(std::string(11, '\n'), options).error().kind, ChemError::kTooLong);
}

TEST(ChemParseErrors, MolblockValenceErrorNamesTheAtom) {
    // Pentavalent carbon at atom 1 (0-based 0), written by hand as a V2000 record.
    const std::string molblock =
        "\n  hand-written\n\n"
        "  6  5  0  0  0  0  0  0  0  0999 V2000\n"
        "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    1.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "   -1.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    0.0000    1.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    0.0000   -1.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    0.5000    0.5000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "  1  2  1  0\n"
        "  1  3  1  0\n"
        "  1  4  1  0\n"
        "  1  5  1  0\n"
        "  1  6  1  0\n"
        "M  END\n";
    const auto parsed = parse_molblock(molblock);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind, ChemError::kValence);
    EXPECT_EQ(parsed.error().atom_index, 0);
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(ChemRoundTrip, PicklePreservesTheStructure) {
    for (const std::string smiles :
         {kAspirin, "C[C@H](N)C(=O)O", "F/C=C\\F", "[13CH4]", "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]"}) {
        SCOPED_TRACE(smiles);
        const auto original = parse_or_die(smiles);
        const auto pickle = original.to_pickle();
        const auto restored = Structure::from_pickle(pickle);
        ASSERT_TRUE(restored) << restored.error().message;
        EXPECT_EQ(restored->canonical_smiles(), original.canonical_smiles());
        EXPECT_EQ(restored->inchikey(), original.inchikey());
    }
}

TEST(ChemRoundTrip, GarbagePickleIsAnError) {
    EXPECT_EQ(Structure::from_pickle("").error().kind, ChemError::kEmpty);
    EXPECT_FALSE(Structure::from_pickle(std::string("\x01\x02\x03\x04 nonsense", 13)));
}

TEST(ChemRoundTrip, MolblockParsesBackToTheSameStructure) {
    for (const std::string smiles :
         {kAspirin, kCaffeine, "C[C@H](N)C(=O)O", "F/C=C\\F", "[2H]C", "C[N+](C)(C)C"}) {
        SCOPED_TRACE(smiles);
        const auto original = parse_or_die(smiles);
        const auto molblock = original.molblock();
        EXPECT_NE(molblock.find("V2000"), std::string::npos);
        const auto restored = parse_molblock(molblock);
        ASSERT_TRUE(restored) << restored.error().message;
        EXPECT_EQ(restored->canonical_smiles(), original.canonical_smiles());
    }
}

TEST(ChemRoundTrip, CopiesShareOneImmutableStructure) {
    const auto original = parse_or_die(kAspirin);
    const Structure copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copy.canonical_smiles(), original.canonical_smiles());
    EXPECT_EQ(copy.inchikey(), original.inchikey());
}

}  // namespace
}  // namespace molvault::chem
