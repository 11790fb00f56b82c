#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "chem/search_index.hpp"
#include "support/parsed_structure.hpp"

namespace molvault::chem {
namespace {

// The NCI set shipped by Debian's rdkit-data (scripts/install-deps.sh): "SMILES<tab>id" lines.
constexpr const char* kNciSmiles = "/usr/share/RDKit/Data/NCI/first_5K.smi";
constexpr const char* kPython = "/usr/bin/python3";
const std::string kSupport = std::string(MOLVAULT_SOURCE_DIR) + "/tests/support/";

// Keys whose bytewise order is the order of n, so "by molecule key" is "by n".
MoleculeKey molecule_key(std::uint32_t n) {
    MoleculeKey key;
    key.bytes[0] = 0x4d;
    for (std::size_t i = 0; i < 4; ++i) {
        key.bytes[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    }
    return key;
}

std::uint32_t number_of(const MoleculeKey& key) {
    std::uint32_t n = 0;
    for (std::size_t i = 12; i < 16; ++i) {
        n = (n << 8) | key.bytes[i];
    }
    return n;
}

ProjectKey project_key(std::uint32_t n) {
    ProjectKey key;
    key.bytes[0] = 0x50;
    key.bytes[15] = static_cast<std::uint8_t>(n);
    return key;
}

using test::parse_or_die;

std::vector<std::uint32_t> numbers_of(const SearchResult& result) {
    std::vector<std::uint32_t> numbers;
    for (const auto& hit : result.hits) {
        numbers.push_back(number_of(hit.molecule));
    }
    return numbers;
}

// ---------------------------------------------------------------------------------------------
// The brute-force reference: tests/support/search_reference.py, plain RDKit over every molecule.

std::vector<std::string> run_reference(
    const std::vector<std::string>& molecules, const std::vector<std::string>& queries
) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("molvault-search-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir / "molecules.smi");
        for (const auto& smiles : molecules) {
            out << smiles << '\n';
        }
        std::ofstream queries_out(dir / "queries.tsv");
        for (const auto& query : queries) {
            queries_out << query << '\n';
        }
    }
    const std::string command = std::string(kPython) + " " + kSupport + "search_reference.py " +
                                (dir / "molecules.smi").string() + " < " +
                                (dir / "queries.tsv").string() + " > " +
                                (dir / "answers.txt").string();
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::vector<std::string> answers;
    std::ifstream in(dir / "answers.txt");
    std::string line;
    while (std::getline(in, line)) {
        answers.push_back(line);
    }
    std::filesystem::remove_all(dir);
    EXPECT_EQ(answers.size(), queries.size());
    answers.resize(queries.size());
    return answers;
}

std::vector<std::uint32_t> parse_numbers(const std::string& answer) {
    std::vector<std::uint32_t> numbers;
    std::istringstream in(answer);
    std::uint32_t n = 0;
    while (in >> n) {
        numbers.push_back(n);
    }
    return numbers;
}

struct Scored {
    std::uint32_t number = 0;
    double score = 0;
    bool operator==(const Scored&) const = default;
};

std::vector<Scored> parse_scored(const std::string& answer) {
    std::vector<Scored> scored;
    std::istringstream in(answer);
    std::string item;
    while (in >> item) {
        const auto colon = item.find(':');
        scored.push_back(Scored{
            static_cast<std::uint32_t>(std::stoul(item.substr(0, colon))),
            std::stod(item.substr(colon + 1))});
    }
    // The engine's order: score descending, then molecule.
    std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
        return a.score != b.score ? a.score > b.score : a.number < b.number;
    });
    return scored;
}

std::vector<Scored> scored_of(const SearchResult& result) {
    std::vector<Scored> scored;
    for (const auto& hit : result.hits) {
        scored.push_back(Scored{number_of(hit.molecule), hit.score});
    }
    return scored;
}

// ---------------------------------------------------------------------------------------------
// The NCI set, indexed once for the suite: molecule n (its line among the SMILES RDKit reads) in
// project n % 2, so each project spans two chunks; inserted in batches so chunks get refilled.

constexpr std::uint32_t kProjects = 2;
constexpr std::size_t kBatch = 700;

class NciSearch : public testing::Test {
protected:
    static void SetUpTestSuite() {
        ASSERT_TRUE(std::filesystem::exists(kNciSmiles)) << "install rdkit-data";
        std::ifstream in(kNciSmiles);
        std::string line;
        std::vector<Structure> structures;
        while (std::getline(in, line)) {
            const auto smiles = line.substr(0, line.find_first_of(" \t"));
            if (auto parsed = parse_smiles(smiles)) {
                smiles_.push_back(smiles);
                structures.push_back(std::move(parsed).value());
            }
        }
        index_ = std::make_unique<SearchIndex>(SearchIndexOptions{.threads = 2});
        std::vector<PreparedEntry> entries(structures.size(), prepare(0, structures[0]));
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < 2; ++t) {
            threads.emplace_back([&entries, &structures, t] {
                for (std::size_t n = t; n < structures.size(); n += 2) {
                    entries[n] = prepare(static_cast<std::uint32_t>(n), structures[n]);
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        for (std::size_t first = 0; first < entries.size(); first += kBatch) {
            const auto last = std::min(entries.size(), first + kBatch);
            index_->insert(std::vector<PreparedEntry>(
                entries.begin() + static_cast<std::ptrdiff_t>(first),
                entries.begin() + static_cast<std::ptrdiff_t>(last)
            ));
        }
    }
    static void TearDownTestSuite() { index_.reset(); }

    static PreparedEntry prepare(std::uint32_t n, const Structure& structure) {
        return index_->prepare(molecule_key(n), project_key(n % kProjects), structure);
    }

    static std::vector<ProjectKey> all_projects() {
        std::vector<ProjectKey> projects;
        for (std::uint32_t p = 0; p < kProjects; ++p) {
            projects.push_back(project_key(p));
        }
        return projects;
    }

    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): built once per suite
    static inline std::unique_ptr<SearchIndex> index_;
    // NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables)
    static inline std::vector<std::string> smiles_;
};

struct SubstructureCase {
    SubstructureQuery query;
    std::string id;
};

std::vector<SubstructureCase> read_substructure_cases() {
    std::vector<SubstructureCase> cases;
    std::ifstream in(kSupport + "search_queries.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::istringstream fields(line);
        std::string format;
        std::string text;
        std::string id;
        std::getline(fields, format, '\t');
        std::getline(fields, text, '\t');
        std::getline(fields, id, '\t');
        const auto query_format = format == "smarts" ? QueryFormat::kSmarts : QueryFormat::kSmiles;
        cases.push_back({{text, query_format, false}, id});
        if (text.find_first_of("@/\\") != std::string::npos) {
            cases.push_back({{text, query_format, true}, id + " (chiral)"});
        }
    }
    return cases;
}

TEST_F(NciSearch, SubstructureHitsEqualBruteForceRdkit) {
    const auto cases = read_substructure_cases();
    ASSERT_GT(cases.size(), 300U);
    std::vector<std::string> lines;
    for (const auto& c : cases) {
        lines.push_back(
            std::string(c.query.format == QueryFormat::kSmarts ? "smarts" : "smiles") + "\t" +
            (c.query.use_chirality ? "chiral" : "achiral") + "\t" + c.query.text
        );
    }
    const auto reference = run_reference(smiles_, lines);
    const auto everyone = all_projects();
    const std::vector<ProjectKey> odd = {project_key(1)};
    std::size_t total_hits = 0;
    std::size_t queries_with_hits = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].id + ": " + cases[i].query.text);
        const auto result = index_->search_substructure(cases[i].query, everyone);
        ASSERT_TRUE(result) << result.error().message;
        EXPECT_TRUE(result->complete);
        EXPECT_EQ(result->examined, smiles_.size());
        EXPECT_EQ(result->total, smiles_.size());
        const auto expected = parse_numbers(reference[i]);
        EXPECT_EQ(numbers_of(*result), expected);
        total_hits += expected.size();
        queries_with_hits += expected.empty() ? 0 : 1;

        // A narrower scope gives exactly that project's share of the hits.
        const auto narrow = index_->search_substructure(cases[i].query, odd);
        ASSERT_TRUE(narrow);
        std::vector<std::uint32_t> expected_odd;
        std::copy_if(
            expected.begin(),
            expected.end(),
            std::back_inserter(expected_odd),
            [](std::uint32_t n) { return n % 2 == 1; }
        );
        EXPECT_EQ(numbers_of(*narrow), expected_odd);
    }
    // The comparison means something: many queries hit, some hit a lot.
    EXPECT_GT(queries_with_hits, cases.size() / 3);
    EXPECT_GT(total_hits, 50'000U);
}

TEST_F(NciSearch, SimilarityHitsEqualBruteForceRdkit) {
    std::vector<std::string> queries = {
        "CC(=O)Oc1ccccc1C(=O)O",
        "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
        "O=C(O)c1ccccc1O",
        "C[N+](C)(C)CC(=O)[O-]",
        "N[C@@H](Cc1ccccc1)C(=O)O"};
    for (std::size_t n = 0; n < smiles_.size(); n += 200) {
        queries.push_back(smiles_[n]);
    }
    const std::vector<double> thresholds = {0.5, 0.7, 0.0};
    std::vector<std::string> lines;
    for (const auto threshold : thresholds) {
        for (const auto& query : queries) {
            lines.push_back("similarity\t" + std::to_string(threshold) + "\t" + query);
        }
    }
    const auto reference = run_reference(smiles_, lines);
    const auto everyone = all_projects();
    std::size_t line = 0;
    for (const auto threshold : thresholds) {
        for (const auto& query : queries) {
            SCOPED_TRACE(query + " at " + std::to_string(threshold));
            const auto expected = parse_scored(reference[line++]);
            const auto structure = parse_or_die(query);
            if (threshold > 0) {
                const auto result = index_->search_similarity(
                    structure, {.threshold = threshold, .top_k = std::nullopt}, everyone
                );
                EXPECT_TRUE(result.complete);
                EXPECT_EQ(scored_of(result), expected);
                continue;
            }
            // Every score is known: the top 10, and the top 5 of those >= 0.3.
            const std::vector<Scored> top10(expected.begin(), expected.begin() + 10);
            const auto result = index_->search_similarity(structure, {.top_k = 10}, everyone);
            EXPECT_EQ(scored_of(result), top10);
            std::vector<Scored> over(expected.begin(), expected.begin() + 5);
            std::erase_if(over, [](const Scored& s) { return s.score < 0.3; });
            const auto top5 =
                index_->search_similarity(structure, {.threshold = 0.3, .top_k = 5}, everyone);
            EXPECT_EQ(scored_of(top5), over);
        }
    }
}

TEST_F(NciSearch, ExactSearchFindsEveryMoleculeByItsOwnKeys) {
    // The keys are hashed at prepare() and confirmed on the stored (unpickled) molecule at
    // search time: both sides must agree for every kind of structure in the set.
    const auto everyone = all_projects();
    for (std::size_t n = 0; n < smiles_.size(); n += 5) {
        SCOPED_TRACE(smiles_[n]);
        const auto structure = parse_or_die(smiles_[n]);
        for (const auto mode :
             {ExactMode::kCanonical, ExactMode::kNoStereo, ExactMode::kTautomer}) {
            const auto hits = numbers_of(index_->search_exact(structure, mode, everyone));
            EXPECT_NE(std::find(hits.begin(), hits.end(), n), hits.end())
                << "mode " << static_cast<int>(mode);
        }
    }
}

TEST_F(NciSearch, PickleStoreFindsWhatParsedMoleculesFind) {
    // The first 300 molecules held as pickles give the same hits as held parsed.
    SearchIndex pickles({.threads = 2, .match_store = MatchStore::kPickles});
    SearchIndex parsed({.threads = 1, .match_store = MatchStore::kMolecules});
    std::vector<PreparedEntry> pickle_entries;
    std::vector<PreparedEntry> parsed_entries;
    for (std::uint32_t n = 0; n < 300; ++n) {
        const auto structure = parse_or_die(smiles_[n]);
        const ExactKeys keys{structure.canonical_smiles(), "", ""};
        pickle_entries.push_back(pickles.prepare(molecule_key(n), project_key(0), structure, keys));
        parsed_entries.push_back(parsed.prepare(molecule_key(n), project_key(0), structure, keys));
    }
    pickles.insert(std::move(pickle_entries));
    parsed.insert(std::move(parsed_entries));
    const std::vector<ProjectKey> scope = {project_key(0)};
    std::size_t hits = 0;
    for (const auto& c : read_substructure_cases()) {
        SCOPED_TRACE(c.id);
        const auto a = pickles.search_substructure(c.query, scope);
        const auto b = parsed.search_substructure(c.query, scope);
        ASSERT_TRUE(a && b);
        EXPECT_EQ(numbers_of(*a), numbers_of(*b));
        hits += a->hits.size();
    }
    EXPECT_GT(hits, 1000U);
    EXPECT_LT(pickles.stats().matching_bytes, parsed.stats().matching_bytes);
}

// The matcher compares plain (SMILES) atoms and bonds on its own copy of their fields and walks
// its own adjacency arrays: targets and queries that differ in exactly those fields (isotopes,
// dummy labels, charges, radicals, ring counts, dative bonds, several components, recursive
// SMARTS nested two deep, the SMARTS bond queries it reads itself and some it leaves to RDKit)
// give RDKit's hits, held parsed or pickled.
TEST(SubstructureMatcher, CornerCasesGiveRdkitsHitsInBothStores) {
    const std::vector<std::string> targets = {
        "[13CH3]CC(=O)O",
        "CC(=O)O",
        "C[C-](C)C",
        "[CH2]CC",
        "[1*]CC",
        "[2*]CC",
        "*CC",
        "C1CC1C",
        "CCCC",
        "C1CC2CC12",
        "C1CCC1",
        "[NH4+].[Cl-]",
        "N.Cl",
        "C[N+](C)(C)C",
        "[NH3]->[Cu]",
        "[Cu]N",
        "c1ccccc1",
        "c1ccc2ccccc2c1",
        "c1ccccc1-c1ccccc1",
        "OCC(O)CO",
        "C=CC=O",
        "CC#N",
        "[2H]C([2H])([2H])O",
        "OCC",
        "C",
    };
    const std::vector<std::pair<std::string, std::string>> queries = {
        {"smiles", "[13CH3]C"},
        {"smiles", "[13C]"},
        {"smiles", "C"},
        {"smiles", "[C-]"},
        {"smiles", "[CH2]C"},
        {"smiles", "[1*]C"},
        {"smiles", "*C"},
        {"smiles", "[2*]"},
        {"smiles", "C1CC1"},
        {"smiles", "CC(C)C"},
        {"smiles", "C1CC2CC12"},
        {"smiles", "CCC"},
        {"smiles", "[NH4+]"},
        {"smiles", "N"},
        {"smiles", "[Cl-]"},
        {"smiles", "N.Cl"},
        {"smiles", "[NH4+].[Cl-]"},
        {"smiles", "[NH3]->[Cu]"},
        {"smiles", "N[Cu]"},
        {"smiles", "c1ccccc1"},
        {"smiles", "C=C"},
        {"smarts", "cc"},
        {"smarts", "c-c"},
        {"smiles", "C#N"},
        {"smiles", "[2H]C"},
        {"smiles", "OCCO"},
        {"smiles", "O.O.O"},
        {"smiles", "CCCCCCCCCC"},
        {"smarts", "[$(C=O)]"},
        {"smarts", "[C;$(C[$(C=O)])]"},
        {"smarts", "[$(*~[#7])]"},
        {"smarts", "[!#6;!#1]"},
        {"smarts", "[R2]"},
        {"smarts", "[r3]"},
        {"smarts", "[#6]-,:[#6]"},
        {"smarts", "C~*~*~C"},
        {"smarts", "[$(C(=O)O),$(C#N)]"},
        {"smarts", "[D3]"},
        {"smarts", "[+]"},
        {"smarts", "[#8].[#8].[#8]"},
        {"smarts", "[!$(C=O);O]"},
        {"smarts", "[$([#7]->[Cu])]"},
        {"smarts", "c:c"},
        {"smarts", "C-C"},
        {"smarts", "C=O"},
        {"smarts", "C#N"},
        {"smarts", "C~O"},
        {"smarts", "c!-c"},
        {"smarts", "[#6]!@[#6]"},
        {"smarts", "C-,=C"},
        {"smarts", "cC"},
        {"smarts", "[#7]->[Cu]"},
    };
    std::vector<std::string> lines;
    for (const auto& [format, text] : queries) {
        lines.push_back(format + "\tachiral\t" + text);
    }
    const auto reference = run_reference(targets, lines);
    for (const auto store : {MatchStore::kMolecules, MatchStore::kPickles}) {
        SearchIndex index({.threads = 2, .match_store = store});
        std::vector<PreparedEntry> entries;
        for (std::uint32_t n = 0; n < targets.size(); ++n) {
            entries.push_back(
                index.prepare(molecule_key(n), project_key(0), parse_or_die(targets[n]))
            );
        }
        index.insert(std::move(entries));
        const std::vector<ProjectKey> scope = {project_key(0)};
        std::size_t hits = 0;
        for (std::size_t i = 0; i < queries.size(); ++i) {
            const auto& [format, text] = queries[i];
            SCOPED_TRACE(format + " " + text);
            const auto result = index.search_substructure(
                {text, format == "smarts" ? QueryFormat::kSmarts : QueryFormat::kSmiles}, scope
            );
            ASSERT_TRUE(result) << result.error().message;
            EXPECT_EQ(numbers_of(*result), parse_numbers(reference[i]));
            hits += result->hits.size();
        }
        EXPECT_GT(hits, 100U);
    }
}

TEST_F(NciSearch, StatsCountMoleculesAndStayUnderOneKibibytePerMoleculeForScreening) {
    const auto stats = index_->stats();
    EXPECT_EQ(stats.molecules, smiles_.size());
    EXPECT_EQ(stats.projects, kProjects);
    EXPECT_LT(stats.screening_bytes / stats.molecules, 1024U);
    EXPECT_GT(stats.matching_bytes, stats.molecules * 500);
}

// ---------------------------------------------------------------------------------------------
// Small hand-built indexes.

class SmallIndex : public testing::Test {
protected:
    void add(std::uint32_t n, std::uint32_t project, const std::string& smiles) {
        index_.insert({index_.prepare(molecule_key(n), project_key(project), parse_or_die(smiles))}
        );
    }
    std::vector<std::uint32_t> substructure(
        const std::string& query, std::vector<ProjectKey> scope
    ) {
        const auto result = index_.search_substructure({query}, scope);
        EXPECT_TRUE(result);
        return result ? numbers_of(*result) : std::vector<std::uint32_t>{};
    }
    std::vector<std::uint32_t> exact(const std::string& query, ExactMode mode) {
        return numbers_of(index_.search_exact(parse_or_die(query), mode, everyone_));
    }

    SearchIndex index_{{.threads = 2}};
    std::vector<ProjectKey> everyone_ = {project_key(0), project_key(1), project_key(2)};
};

TEST_F(SmallIndex, ExactSearchByCanonicalNoStereoAndTautomerKeys) {
    add(1, 0, "C[C@H](N)C(=O)O");
    add(2, 0, "C[C@@H](N)C(=O)O");
    add(3, 1, "CC(N)C(=O)O");
    add(4, 1, "Oc1ccccn1");      // 2-hydroxypyridine
    add(5, 2, "O=c1cccc[nH]1");  // 2-pyridone
    EXPECT_EQ(exact("N[C@@H](C)C(O)=O", ExactMode::kCanonical), (std::vector<std::uint32_t>{1}));
    EXPECT_EQ(
        exact("C[C@H](N)C(=O)O", ExactMode::kNoStereo), (std::vector<std::uint32_t>{1, 2, 3})
    );
    EXPECT_EQ(exact("Oc1ccccn1", ExactMode::kCanonical), (std::vector<std::uint32_t>{4}));
    EXPECT_EQ(exact("Oc1ccccn1", ExactMode::kTautomer), (std::vector<std::uint32_t>{4, 5}));
    EXPECT_TRUE(exact("CCO", ExactMode::kCanonical).empty());
}

TEST_F(SmallIndex, ScopeNeverReturnsMoleculesOfOtherProjects) {
    add(1, 0, "c1ccccc1O");
    add(2, 1, "c1ccccc1N");
    add(3, 2, "c1ccccc1C");
    EXPECT_EQ(substructure("c1ccccc1", {project_key(1)}), (std::vector<std::uint32_t>{2}));
    EXPECT_EQ(
        substructure("c1ccccc1", {project_key(0), project_key(2), project_key(0)}),
        (std::vector<std::uint32_t>{1, 3})
    );
    EXPECT_TRUE(substructure("c1ccccc1", {project_key(7)}).empty());
    EXPECT_TRUE(substructure("c1ccccc1", {}).empty());
    const auto similar = index_.search_similarity(
        parse_or_die("c1ccccc1O"),
        {.threshold = 0.0, .top_k = std::nullopt},
        std::vector{project_key(2)}
    );
    EXPECT_EQ(numbers_of(similar), (std::vector<std::uint32_t>{3}));
    EXPECT_EQ(similar.total, 1U);
    const auto same = index_.search_exact(
        parse_or_die("c1ccccc1O"), ExactMode::kCanonical, std::vector{project_key(1)}
    );
    EXPECT_TRUE(same.hits.empty());
}

TEST_F(SmallIndex, RemovedMoleculesAndProjectsAreNotFound) {
    for (std::uint32_t n = 0; n < 100; ++n) {
        add(n, n % 2, "c1ccccc1" + std::string(n % 5 + 1, 'C'));
    }
    const std::vector<MoleculeKey> gone = {molecule_key(3), molecule_key(4), molecule_key(999)};
    EXPECT_EQ(index_.remove(gone), 2U);
    auto hits = substructure("c1ccccc1", everyone_);
    EXPECT_EQ(hits.size(), 98U);
    EXPECT_EQ(std::count(hits.begin(), hits.end(), 3U), 0);
    EXPECT_EQ(std::count(hits.begin(), hits.end(), 4U), 0);

    EXPECT_EQ(index_.remove_project(project_key(0)), 49U);
    EXPECT_EQ(index_.remove_project(project_key(0)), 0U);
    hits = substructure("c1ccccc1", everyone_);
    EXPECT_EQ(hits.size(), 49U);
    EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](std::uint32_t n) { return n % 2 == 1; }));
    EXPECT_EQ(index_.stats().molecules, 49U);
    EXPECT_EQ(index_.stats().projects, 1U);
    // A removed key can come back.
    add(4, 0, "c1ccccc1");
    EXPECT_EQ(substructure("c1ccccc1", {project_key(0)}), (std::vector<std::uint32_t>{4}));
}

TEST_F(SmallIndex, InsertingAKeyAgainReplacesItsEntry) {
    add(1, 0, "CCO");
    add(1, 0, "CCO");
    EXPECT_EQ(substructure("CO", everyone_), (std::vector<std::uint32_t>{1}));
    add(1, 0, "CCN");  // same key, new structure
    EXPECT_TRUE(substructure("CO", everyone_).empty());
    EXPECT_EQ(substructure("CN", everyone_), (std::vector<std::uint32_t>{1}));
    add(1, 2, "CCN");  // same key, another project: it moves
    EXPECT_TRUE(substructure("CN", {project_key(0)}).empty());
    EXPECT_EQ(substructure("CN", {project_key(2)}), (std::vector<std::uint32_t>{1}));
    // Within one batch the last entry wins.
    index_.insert(
        {index_.prepare(molecule_key(2), project_key(0), parse_or_die("CCCl")),
         index_.prepare(molecule_key(2), project_key(0), parse_or_die("CCBr"))}
    );
    EXPECT_TRUE(substructure("Cl", everyone_).empty());
    EXPECT_EQ(substructure("Br", everyone_), (std::vector<std::uint32_t>{2}));
    EXPECT_EQ(index_.stats().molecules, 2U);
}

TEST_F(SmallIndex, ChunksOfEverySizeScreenCorrectly) {
    // 1, 65 and 2,100 molecules: column strides of 1, 2 and 32 words and a second chunk.
    const std::vector<std::uint32_t> sizes = {1, 65, 2100};
    std::uint32_t n = 0;
    for (std::uint32_t project = 0; project < sizes.size(); ++project) {
        std::vector<PreparedEntry> entries;
        for (std::uint32_t i = 0; i < sizes[project]; ++i, ++n) {
            // Every seventh one has the nitrogen the query asks for.
            const std::string smiles = i % 7 == 0 ? "c1ccccc1CCN" : "c1ccccc1CCO";
            entries.push_back(
                index_.prepare(molecule_key(n), project_key(project), parse_or_die(smiles))
            );
        }
        index_.insert(std::move(entries));
    }
    n = 0;
    for (std::uint32_t project = 0; project < sizes.size(); ++project) {
        std::vector<std::uint32_t> expected;
        for (std::uint32_t i = 0; i < sizes[project]; ++i, ++n) {
            if (i % 7 == 0) {
                expected.push_back(n);
            }
        }
        EXPECT_EQ(substructure("NCCc1ccccc1", {project_key(project)}), expected);
    }
}

TEST_F(SmallIndex, RestoredEntriesFindWhatPreparedEntriesFind) {
    const std::vector<std::string> smiles = {"c1ccccc1CCN", "C[C@H](N)C(=O)O", "Oc1ccccn1"};
    SearchIndex pickles({.threads = 1, .match_store = MatchStore::kPickles});
    for (std::uint32_t n = 0; n < smiles.size(); ++n) {
        const auto bytes =
            index_.prepare(molecule_key(n), project_key(0), parse_or_die(smiles[n])).to_bytes();
        for (auto* index : {&index_, &pickles}) {
            auto restored = index->restore(molecule_key(n), project_key(1), bytes);
            ASSERT_TRUE(restored) << restored.error().message;
            EXPECT_EQ(restored->project(), project_key(1));
            index->insert({std::move(restored).value()});
        }
    }
    for (auto* index : {&index_, &pickles}) {
        const auto amine = index->search_substructure({"CN"}, everyone_);
        ASSERT_TRUE(amine);
        EXPECT_EQ(numbers_of(*amine), (std::vector<std::uint32_t>{0, 1}));
        const auto similar = index->search_similarity(
            parse_or_die("c1ccccc1CCN"), {.threshold = 1.0, .top_k = std::nullopt}, everyone_
        );
        EXPECT_EQ(numbers_of(similar), (std::vector<std::uint32_t>{0}));
        const auto tautomers =
            index->search_exact(parse_or_die("O=c1cccc[nH]1"), ExactMode::kTautomer, everyone_);
        EXPECT_EQ(numbers_of(tautomers), (std::vector<std::uint32_t>{2}));
    }
}

TEST_F(SmallIndex, RestoreRefusesBytesItDidNotWrite) {
    auto bytes = index_.prepare(molecule_key(1), project_key(0), parse_or_die("CCO")).to_bytes();
    EXPECT_EQ(index_.restore(molecule_key(1), project_key(0), "").error().kind, ChemError::kSyntax);
    EXPECT_EQ(
        index_.restore(molecule_key(1), project_key(0), "C1CC" + bytes).error().kind,
        ChemError::kSyntax
    );
    bytes[5] = '0';  // the first character of the RDKit version it was made with
    EXPECT_EQ(
        index_.restore(molecule_key(1), project_key(0), bytes).error().kind, ChemError::kOther
    );
}

TEST_F(SmallIndex, EntriesWrittenBeforePathKeysAreCompletedWhenRestored) {
    // Format MVS1: "MVS1", the RDKit version (a length byte, then the text), 2,304 screen bits
    // (pattern fingerprint, elements, pairs; 288 bytes), then the rest as in MVS2, whose screen
    // bits add 2,048 bits (256 bytes) of path keys.
    const std::vector<std::string> smiles = {"c1ccccc1CCN", "CC(=O)SC", "OCC"};
    SearchIndex pickles({.threads = 1, .match_store = MatchStore::kPickles});
    for (std::uint32_t n = 0; n < smiles.size(); ++n) {
        const auto bytes =
            index_.prepare(molecule_key(n), project_key(0), parse_or_die(smiles[n])).to_bytes();
        ASSERT_TRUE(bytes.starts_with("MVS2"));
        const std::size_t header = 5 + static_cast<unsigned char>(bytes[4]);
        const auto old =
            "MVS1" + bytes.substr(4, header - 4 + 288) + bytes.substr(header + 288 + 256);
        for (auto* index : {&index_, &pickles}) {
            auto restored = index->restore(molecule_key(n), project_key(0), old);
            ASSERT_TRUE(restored) << restored.error().message;
            index->insert({std::move(restored).value()});
        }
    }
    // SMILES queries screen on the path keys: without them nothing would pass.
    for (auto* index : {&index_, &pickles}) {
        const auto amine = index->search_substructure({"NCCc1ccccc1"}, everyone_);
        ASSERT_TRUE(amine);
        EXPECT_EQ(numbers_of(*amine), (std::vector<std::uint32_t>{0}));
        const auto thioester = index->search_substructure({"CC(=O)S"}, everyone_);
        ASSERT_TRUE(thioester);
        EXPECT_EQ(numbers_of(*thioester), (std::vector<std::uint32_t>{1}));
        const auto carbon = index->search_substructure({"CC"}, everyone_);
        ASSERT_TRUE(carbon);
        EXPECT_EQ(numbers_of(*carbon), (std::vector<std::uint32_t>{0, 1, 2}));
    }
}

TEST_F(SmallIndex, PassedDeadlineGivesAPartialAnswer) {
    add(1, 0, "CCO");
    add(2, 1, "CCN");
    const auto past = SearchClock::now() - std::chrono::seconds(1);
    const auto result = index_.search_substructure({"C"}, everyone_, past);
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->complete);
    EXPECT_EQ(result->examined, 0U);
    EXPECT_EQ(result->total, 2U);
    EXPECT_TRUE(result->hits.empty());
    const auto similar = index_.search_similarity(
        parse_or_die("CCO"), {.threshold = 0.1, .top_k = std::nullopt}, everyone_, past
    );
    EXPECT_FALSE(similar.complete);
    EXPECT_EQ(similar.total, 2U);
    EXPECT_FALSE(
        index_.search_exact(parse_or_die("CCO"), ExactMode::kCanonical, everyone_, past).complete
    );
    const auto in_time =
        index_.search_substructure({"C"}, everyone_, SearchClock::now() + std::chrono::seconds(60));
    ASSERT_TRUE(in_time);
    EXPECT_TRUE(in_time->complete);
    EXPECT_EQ(in_time->examined, 2U);
}

TEST_F(SmallIndex, BadQueriesAreErrorsThatNameTheProblem) {
    add(1, 0, "CCO");
    const auto bad_smiles = index_.search_substructure({"C1CC"}, everyone_);
    ASSERT_FALSE(bad_smiles);
    EXPECT_EQ(bad_smiles.error().kind, ChemError::kSyntax);
    EXPECT_NE(bad_smiles.error().message.find("unclosed ring"), std::string::npos)
        << bad_smiles.error().message;
    const auto valence = index_.search_substructure({"C(C)(C)(C)(C)C"}, everyone_);
    ASSERT_FALSE(valence);
    EXPECT_EQ(valence.error().kind, ChemError::kValence);
    const auto bad_smarts = index_.search_substructure({"[C;X", QueryFormat::kSmarts}, everyone_);
    ASSERT_FALSE(bad_smarts);
    EXPECT_EQ(bad_smarts.error().kind, ChemError::kSyntax);
    EXPECT_FALSE(bad_smarts.error().message.empty());
    const auto empty = index_.search_substructure({"", QueryFormat::kSmarts}, everyone_);
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().kind, ChemError::kEmpty);
}

TEST_F(SmallIndex, SearchesRunWhileAnotherThreadWrites) {
    for (std::uint32_t n = 0; n < 500; ++n) {
        add(n, 0, "c1ccccc1CCO");
    }
    std::atomic<bool> stop{false};
    std::thread writer([this, &stop] {
        for (std::uint32_t round = 0; !stop; ++round) {
            std::vector<PreparedEntry> entries;
            for (std::uint32_t i = 0; i < 50; ++i) {
                entries.push_back(index_.prepare(
                    molecule_key(1000 + i), project_key(1), parse_or_die("c1ccccc1CCN")
                ));
            }
            index_.insert(std::move(entries));
            const auto removed = index_.remove_project(project_key(1));
            EXPECT_EQ(removed, 50U);
        }
    });
    for (int i = 0; i < 200; ++i) {
        const auto hits = substructure("c1ccccc1", {project_key(0), project_key(1)});
        // Project 1 is seen whole or not at all.
        EXPECT_TRUE(hits.size() == 500 || hits.size() == 550) << hits.size();
    }
    stop = true;
    writer.join();
}

}  // namespace
}  // namespace molvault::chem
