// Structure search end to end (issue 6, POST /api/v1/search): the real binary over HTTP, on
// SQLite and on PostgreSQL. Hits are checked against a brute-force scan by RDKit itself
// (tests/support/search_reference.py on python3-rdkit, the same RDKit build), scope and paging
// against the API's rules, and freshness against two instances that share one database.
// Every test registers its own users.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "support/api_caller.hpp"
#include "support/backend_test.hpp"
#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_database.hpp"

namespace molvault::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kSearchPath = "/api/v1/search";
constexpr const char* kNciSet = "/usr/share/RDKit/Data/NCI/first_5K.smi";
constexpr const char* kReferenceScript = MOLVAULT_SOURCE_DIR "/tests/support/search_reference.py";
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has python3-rdkit
constexpr const char* kMissingId = "00000000-0000-4000-8000-000000000000";
constexpr const char* kAnotherMissingId = "5b0e7c1e-8f3a-4d2b-9c6e-1a2b3c4d5e6f";
constexpr std::size_t kBulkRows = 1'000;  // the most one bulk request takes
constexpr int kPageLimit = 200;           // the most one search page holds
// The issue's promise: what one instance commits, every instance finds within a second (and
// what it deletes is gone as fast). Tests poll this often until that second is over.
constexpr std::chrono::milliseconds kFreshness{1'000};
constexpr std::chrono::milliseconds kPollInterval{50};
// How long an instance may take to load its index at start-up in these tests (a few hundred
// molecules; generous for a loaded CI machine).
constexpr std::chrono::seconds kReadyTimeout{60};

std::string molecules_path(const std::string& project) {
    return "/api/v1/projects/" + project + "/molecules";
}
std::string molecule_path(const std::string& id) { return "/api/v1/molecules/" + id; }

struct NamedSmiles {
    std::string smiles;
    std::string name;
};

// The first `count` molecules of the NCI set shipped by Debian's rdkit-data, named "nci-N" by
// their line number. The set has no stereo marks, and repeats a few structures.
std::vector<NamedSmiles> nci_molecules(std::size_t count) {
    std::ifstream file(kNciSet);
    std::vector<NamedSmiles> molecules;
    std::string line;
    while (molecules.size() < count && std::getline(file, line)) {
        molecules.push_back(
            {line.substr(0, line.find('\t')), "nci-" + std::to_string(molecules.size() + 1)}
        );
    }
    EXPECT_EQ(molecules.size(), count) << kNciSet;
    return molecules;
}

// One search hit as the API answers it.
struct Hit {
    std::string id;
    std::string project_id;
    nlohmann::json name;  // a string, or null
    std::string canonical_smiles;
    double score = 0.0;
};

// Every page of one query, concatenated.
struct Answer {
    int status = 0;  // of the first page that was not 200, else 200
    std::vector<Hit> hits;
    std::int64_t total = -1;
    bool complete = false;
    std::int64_t examined = -1;
    std::int64_t in_scope = -1;
    int pages = 0;
};

std::vector<std::string> ids_of(const std::vector<Hit>& hits) {
    std::vector<std::string> ids;
    ids.reserve(hits.size());
    for (const auto& hit : hits) {
        ids.push_back(hit.id);
    }
    return ids;
}

std::set<std::string> id_set(const std::vector<Hit>& hits) {
    const auto ids = ids_of(hits);
    return std::set<std::string>(ids.begin(), ids.end());
}

HttpResponse search(ApiCaller& who, const nlohmann::json& body) {
    return who.send("POST", kSearchPath, body);
}

// Checks the shape of one 200 answer and appends its items to `answer`.
void read_page(const nlohmann::json& page, Answer& answer) {
    static const std::set<std::string> kPageKeys = {
        "items", "next_cursor", "total", "complete", "examined", "in_scope"};
    static const std::set<std::string> kItemKeys = {
        "molecule_id", "project_id", "name", "canonical_smiles", "score"};
    std::set<std::string> keys;
    for (const auto& [key, value] : page.items()) {
        keys.insert(key);
    }
    EXPECT_EQ(keys, kPageKeys) << page.dump().substr(0, 300);
    const auto items = page.value("items", nlohmann::json::array());
    for (const auto& item : items) {
        std::set<std::string> item_keys;
        for (const auto& [key, value] : item.items()) {
            item_keys.insert(key);
        }
        EXPECT_EQ(item_keys, kItemKeys) << item.dump();
        EXPECT_TRUE(item["name"].is_string() || item["name"].is_null()) << item.dump();
        answer.hits.push_back(
            {item.value("molecule_id", ""),
             item.value("project_id", ""),
             item.value("name", nlohmann::json()),
             item.value("canonical_smiles", ""),
             item.value("score", -1.0)}
        );
    }
    const auto total = page.value("total", std::int64_t{-1});
    const auto examined = page.value("examined", std::int64_t{-1});
    const auto in_scope = page.value("in_scope", std::int64_t{-1});
    if (answer.pages > 0 && page.value("complete", false)) {
        // (Each page of a partial answer is a search of its own that got as far as it could.)
        EXPECT_EQ(total, answer.total) << "every page of a complete query reports one total";
    }
    answer.total = total;
    answer.complete = page.value("complete", false);
    answer.examined = examined;
    answer.in_scope = in_scope;
    ++answer.pages;
}

// Runs `query`, following next_cursor to the last page with `limit` items a page.
Answer search_all(ApiCaller& who, nlohmann::json query, int limit = kPageLimit) {
    constexpr int kMaxPages = 1'000;
    Answer answer;
    query["limit"] = limit;
    while (answer.pages < kMaxPages) {
        const auto response = search(who, query);
        answer.status = response.status;
        if (response.status != 200) {
            ADD_FAILURE() << query.dump() << " -> " << response.status << " " << response.body;
            return answer;
        }
        const auto page = response.json();
        const auto items = page.value("items", nlohmann::json::array());
        EXPECT_LE(items.size(), static_cast<std::size_t>(limit));
        read_page(page, answer);
        const auto cursor = page.value("next_cursor", nlohmann::json());
        if (cursor.is_null()) {
            return answer;
        }
        EXPECT_EQ(items.size(), static_cast<std::size_t>(limit)) << "only the last page is short";
        query["cursor"] = cursor;
    }
    ADD_FAILURE() << "more than " << kMaxPages << " pages: " << query.dump();
    return answer;
}

// True when some field error of a problem document names `field`.
bool names_field(const HttpResponse& response, const std::string& field) {
    const auto problem = nlohmann::json::parse(response.body, nullptr, false);
    if (!problem.is_object() || !problem.contains("errors") || !problem["errors"].is_array()) {
        return false;
    }
    const auto errors = problem["errors"];
    return std::any_of(errors.begin(), errors.end(), [&field](const nlohmann::json& error) {
        return error.value("field", "") == field;
    });
}

// Polls `probe` every kPollInterval until it answers true or `deadline` passes.
bool eventually(Clock::time_point deadline, const std::function<bool()>& probe) {
    while (true) {
        if (probe()) {
            return true;
        }
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(kPollInterval);
    }
}

// Waits until the server's /health/ready passes with its search check "ok" (the index is
// loaded). Returns false after kReadyTimeout.
bool wait_until_ready(const MolvaultProcess& server) {
    HttpClient client(server.port());
    bool has_search_check = true;
    const bool ready = eventually(Clock::now() + kReadyTimeout, [&client, &has_search_check] {
        const auto health = client.get("/health/ready");
        const auto body = nlohmann::json::parse(health.body, nullptr, false);
        if (!body.is_object() || !body.contains("checks")) {
            return false;
        }
        const auto checks = body["checks"];
        has_search_check = checks.contains("search");
        // A binary without a search check would never pass: give up at once.
        return health.status == 200 && (!has_search_check || checks.value("search", "") == "ok");
    });
    return ready && has_search_check;
}

// ---------------------------------------------------------------------------------------------
// The brute-force reference: tests/support/search_reference.py, plain RDKit over every molecule.

struct ReferenceQuery {
    std::string kind;    // "smiles", "smarts" or "similarity"
    std::string option;  // "chiral"/"achiral", or the similarity threshold
    std::string text;
};

// For each query, the numbers (0-based, in `molecules` order) of the molecules RDKit finds,
// with their scores (Tanimoto; 1 for substructure). A fresh directory per call: the
// backends' instances of a test run in parallel.
std::vector<std::vector<std::pair<std::size_t, double>>> reference_hits(
    const std::vector<std::string>& molecules, const std::vector<ReferenceQuery>& queries
) {
    const TempDir temp;
    const auto molecules_file = temp.path() / "molecules.smi";
    const auto queries_file = temp.path() / "queries.tsv";
    const auto answers_file = temp.path() / "answers.txt";
    {
        std::ofstream out(molecules_file);
        for (const auto& smiles : molecules) {
            out << smiles << '\n';
        }
        std::ofstream query_out(queries_file);
        for (const auto& query : queries) {
            query_out << query.kind << '\t' << query.option << '\t' << query.text << '\n';
        }
    }
    const std::string command = std::string(kPython) + " " + kReferenceScript + " " +
                                molecules_file.string() + " < " + queries_file.string() + " > " +
                                answers_file.string();
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::vector<std::vector<std::pair<std::size_t, double>>> answers;
    std::ifstream in(answers_file);
    std::string line;
    while (std::getline(in, line)) {
        EXPECT_NE(line, "error") << "the reference could not read query " << answers.size();
        std::vector<std::pair<std::size_t, double>> hits;
        std::istringstream tokens(line);
        std::string token;
        while (tokens >> token) {
            const auto colon = token.find(':');
            hits.emplace_back(
                std::stoul(token.substr(0, colon)),
                colon == std::string::npos ? 1.0 : std::stod(token.substr(colon + 1))
            );
        }
        answers.push_back(std::move(hits));
    }
    EXPECT_EQ(answers.size(), queries.size());
    answers.resize(queries.size());
    return answers;
}

class Search : public BackendTest {
protected:
    // A server whose search index has loaded.
    std::unique_ptr<MolvaultProcess> start_ready(EnvMap env = {}) {
        auto server = start(std::move(env));
        EXPECT_TRUE(wait_until_ready(*server)) << "search index not ready:\n" << server->log();
        return server;
    }

    // Adds `molecules` to the project (bulk, 1,000 a request). Returns each row's new id, or
    // "" for a row the project refused (a structure repeated in the NCI set).
    static std::vector<std::string> add_all(
        ApiCaller& who, const std::string& project_id, const std::vector<NamedSmiles>& molecules
    ) {
        std::vector<std::string> ids;
        for (std::size_t start = 0; start < molecules.size(); start += kBulkRows) {
            auto rows = nlohmann::json::array();
            for (std::size_t i = start; i < std::min(start + kBulkRows, molecules.size()); ++i) {
                nlohmann::json row = {{"smiles", molecules[i].smiles}};
                if (!molecules[i].name.empty()) {
                    row["name"] = molecules[i].name;
                }
                rows.push_back(std::move(row));
            }
            const auto response =
                who.send("POST", molecules_path(project_id) + ":bulk", {{"molecules", rows}});
            EXPECT_EQ(response.status, 200) << response.body.substr(0, 300);
            const auto report = nlohmann::json::parse(response.body, nullptr, false);
            const auto items = report.is_object() ? report.value("items", nlohmann::json::array())
                                                  : nlohmann::json::array();
            for (const auto& item : items) {
                ids.push_back(item.value("status", "") == "created" ? item.value("id", "") : "");
            }
            ids.resize(std::min(start + kBulkRows, molecules.size()));
        }
        return ids;
    }

    // SQL that inserts a copy of molecule $3 (every column, its search entry included) under
    // the id $1 and structure key $2, as an administrator might.
    std::string copy_molecule_sql() {
        const auto columns = query(
            {"molecule_columns",
             "SELECT column_name FROM information_schema.columns WHERE table_schema = "
             "current_schema() AND table_name = 'molecules' ORDER BY ordinal_position"}
        );
        std::string names;
        std::string values;
        for (const auto& row : columns.rows) {
            const auto& column = row.text(0);
            names += (names.empty() ? "" : ", ") + column;
            values += values.empty() ? "" : ", ";
            if (column == "id") {
                values += "$1::uuid";
            } else if (column == "structure_key") {
                values += "$2";
            } else if (column == "name") {
                values += "'out-of-order copy'";
            } else {
                values += column;
            }
        }
        return "INSERT INTO molecules (" + names + ") SELECT " + values +
               " FROM molecules WHERE id = $3::uuid";
    }

    // Adds one molecule; returns its id.
    static std::string add(
        ApiCaller& who, const std::string& project_id, const std::string& smiles
    ) {
        const auto added = who.send("POST", molecules_path(project_id), {{"smiles", smiles}});
        EXPECT_EQ(added.status, 201) << smiles << ": " << added.body;
        return nlohmann::json::parse(added.body, nullptr, false).value("id", "");
    }
};

// Ids of the exact (canonical) hits for `smiles`, or nullopt when the search did not answer 200.
std::optional<std::set<std::string>> exact_ids(ApiCaller& who, const std::string& smiles) {
    const auto response = search(who, {{"type", "exact"}, {"query", smiles}, {"limit", 200}});
    if (response.status != 200) {
        return std::nullopt;
    }
    Answer answer;
    read_page(response.json(), answer);
    return id_set(answer.hits);
}

// Ids of every molecule of the caller's (or of `project_ids`), through a SMARTS that matches
// any atom; nullopt when the search did not answer 200.
std::optional<std::set<std::string>> every_id(
    ApiCaller& who, const std::vector<std::string>& project_ids = {}
) {
    nlohmann::json query = {{"type", "substructure"}, {"query", "*"}, {"query_format", "smarts"}};
    if (!project_ids.empty()) {
        query["project_ids"] = project_ids;
    }
    query["limit"] = kPageLimit;
    std::set<std::string> ids;
    for (int page = 0; page < 100; ++page) {
        const auto response = search(who, query);
        if (response.status != 200) {
            return std::nullopt;
        }
        Answer answer;
        const auto body = response.json();
        read_page(body, answer);
        const auto found = id_set(answer.hits);
        ids.insert(found.begin(), found.end());
        const auto cursor = body.value("next_cursor", nlohmann::json());
        if (cursor.is_null()) {
            return ids;
        }
        query["cursor"] = cursor;
    }
    return std::nullopt;
}

bool contains(const std::optional<std::set<std::string>>& ids, const std::string& id) {
    return ids.has_value() && ids->contains(id);
}
bool lacks(const std::optional<std::set<std::string>>& ids, const std::string& id) {
    return ids.has_value() && !ids->contains(id);
}

// ---------------------------------------------------------------------------------------------

TEST_P(Search, HitsEqualABruteForceRdkitScan) {
    const auto server = start_ready();
    auto ada = caller(*server, "ada@example.com");
    // Stored as drawn (standardize false), so the reference reads exactly what was registered.
    const auto first = project(ada, "NCI one", false);
    const auto second = project(ada, "NCI two", false);
    const auto nci = nci_molecules(300);
    const std::vector<NamedSmiles> first_half(nci.begin(), nci.begin() + 150);
    std::vector<NamedSmiles> second_half(nci.begin() + 150, nci.end());
    // The NCI set has no stereo: stereoisomers for the chiral queries, one without a name.
    const std::vector<NamedSmiles> stereo = {
        {"N[C@@H](C)C(=O)O", "L-alanine"},
        {"N[C@H](C)C(=O)O", "D-alanine"},
        {"NC(C)C(=O)O", "alanine"},
        {"N[C@@H](Cc1ccccc1)C(=O)O", "L-phenylalanine"},
        {"N[C@H](Cc1ccccc1)C(=O)O", "D-phenylalanine"},
        {"N[C@@H](CO)C(=O)O", "L-serine"},
        {"C/C=C/C(=O)O", "crotonic acid"},
        {"C/C=C\\C(=O)O", "isocrotonic acid"},
        {"F[C@](Cl)(Br)I", ""},
    };
    second_half.insert(second_half.end(), stereo.begin(), stereo.end());
    const auto first_ids = add_all(ada, first, first_half);
    const auto second_ids = add_all(ada, second, second_half);

    // What was registered, in one list: the reference's molecule numbers index it.
    std::vector<std::string> smiles;
    std::vector<std::string> ids;
    std::map<std::string, std::string> project_of;
    std::map<std::string, std::string> name_of;
    const auto collect = [&](const std::vector<NamedSmiles>& molecules,
                             const std::vector<std::string>& added,
                             const std::string& project_id) {
        ASSERT_EQ(added.size(), molecules.size());
        for (std::size_t i = 0; i < molecules.size(); ++i) {
            if (added[i].empty()) {
                continue;  // a structure the NCI set repeats
            }
            smiles.push_back(molecules[i].smiles);
            ids.push_back(added[i]);
            project_of[added[i]] = project_id;
            name_of[added[i]] = molecules[i].name;
        }
    };
    collect(first_half, first_ids, first);
    collect(second_half, second_ids, second);
    ASSERT_GE(ids.size(), 290U);

    struct SubstructureCase {
        std::string format;  // smiles or smarts
        std::string query;
        bool use_chirality;
    };
    const std::vector<SubstructureCase> substructure = {
        {"smiles", "c1ccccc1", false},
        {"smiles", "C(=O)O", false},
        {"smiles", "c1ccncc1", false},
        {"smiles", "Clc1ccccc1", false},
        {"smarts", "[NX3;H2]c", false},                       // primary aromatic amine
        {"smarts", "[N+](=O)[O-]", false},                    // charged: nitro
        {"smarts", "[#7+,#8-,#16-]", false},                  // any of these charges
        {"smarts", "c:n", false},                             // aromatic bond to nitrogen
        {"smarts", "[$([OH]c)]", false},                      // recursive: phenolic OH
        {"smarts", "[CX3](=O)[$([OX2H]),$([OX1-])]", false},  // acid or carboxylate
        {"smarts", "[Cl,Br,I]", false},
        {"smarts", "[#6;R2]", false},                       // ring-fusion carbon
        {"smiles", "N[C@@H](C)C(=O)O", false},              // stereo ignored
        {"smiles", "N[C@@H](C)C(=O)O", true},               // stereo required
        {"smarts", "[NX3][C@@H]([CH3])C(=O)[OX2H]", true},  // chiral SMARTS
        {"smiles", "C/C=C/C(=O)O", true},                   // E/Z
    };
    struct SimilarityCase {
        nlohmann::json options;  // threshold and top_k as sent; {} for the default
        std::string query;
        double threshold;  // the reference's
        std::optional<std::size_t> top_k;
    };
    const std::vector<SimilarityCase> similarity = {
        {nlohmann::json::object(), nci[2].smiles, 0.7, std::nullopt},  // default threshold 0.7
        {{{"threshold", 0.35}}, nci[2].smiles, 0.35, std::nullopt},
        {{{"threshold", 0.25}}, "Oc1ccccc1Cl", 0.25, std::nullopt},
        // Only top_k: threshold 0. Ranks 10 to 12 tie (0.2667): the molecule ids decide.
        {{{"top_k", 10}}, "CC(=O)Nc1ccc(O)cc1", 0.0, 10},
        {{{"threshold", 0.2}, {"top_k", 5}}, "O=C(O)c1ccccc1", 0.2, 5},
    };
    std::vector<ReferenceQuery> reference_queries;
    for (const auto& c : substructure) {
        reference_queries.push_back({c.format, c.use_chirality ? "chiral" : "achiral", c.query});
    }
    for (const auto& c : similarity) {
        std::ostringstream threshold;
        threshold << c.threshold;
        reference_queries.push_back({"similarity", threshold.str(), c.query});
    }
    const auto reference = reference_hits(smiles, reference_queries);

    const auto check_common = [&](const Answer& answer) {
        EXPECT_TRUE(answer.complete);
        EXPECT_EQ(answer.in_scope, static_cast<std::int64_t>(ids.size()));
        EXPECT_EQ(answer.examined, answer.in_scope);
        EXPECT_EQ(answer.total, static_cast<std::int64_t>(answer.hits.size()));
        for (const auto& hit : answer.hits) {
            EXPECT_EQ(hit.project_id, project_of[hit.id]) << hit.id;
            const auto& name = name_of[hit.id];
            if (name.empty()) {
                EXPECT_TRUE(hit.name.is_null()) << "a molecule without a name: " << hit.id;
            } else {
                EXPECT_EQ(hit.name, name) << hit.id;
            }
            EXPECT_FALSE(hit.canonical_smiles.empty());
        }
    };

    for (std::size_t q = 0; q < substructure.size(); ++q) {
        const auto& c = substructure[q];
        SCOPED_TRACE(c.format + " " + c.query + (c.use_chirality ? " (chiral)" : ""));
        std::vector<std::string> expected;
        for (const auto& [number, score] : reference[q]) {
            expected.push_back(ids.at(number));
        }
        std::sort(expected.begin(), expected.end());  // by molecule id, as UUID text
        EXPECT_FALSE(expected.empty()) << "a query that finds nothing proves little";
        EXPECT_LT(expected.size(), ids.size()) << "nor does one that finds everything";

        nlohmann::json query = {
            {"type", "substructure"},
            {"query", c.query},
            {"query_format", c.format},
            {"use_chirality", c.use_chirality}};
        const auto answer = search_all(ada, query);
        EXPECT_EQ(ids_of(answer.hits), expected);
        check_common(answer);
        for (const auto& hit : answer.hits) {
            EXPECT_EQ(hit.score, 1.0);
        }
    }
    // The stereo cases: with chirality the query finds fewer (not D-alanine).
    EXPECT_LT(reference[13].size(), reference[12].size());

    for (std::size_t s = 0; s < similarity.size(); ++s) {
        const auto& c = similarity[s];
        SCOPED_TRACE("similarity " + c.query + " " + c.options.dump());
        auto expected = reference[substructure.size() + s];
        std::sort(expected.begin(), expected.end(), [&ids](const auto& x, const auto& y) {
            return x.second != y.second ? x.second > y.second : ids.at(x.first) < ids.at(y.first);
        });
        if (c.top_k && expected.size() > *c.top_k) {
            expected.resize(*c.top_k);
        }
        EXPECT_FALSE(expected.empty());

        nlohmann::json query = {{"type", "similarity"}, {"query", c.query}};
        query.update(c.options);
        const auto answer = search_all(ada, query);
        check_common(answer);
        ASSERT_EQ(answer.hits.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(answer.hits[i].id, ids.at(expected[i].first)) << "rank " << i;
            EXPECT_NEAR(answer.hits[i].score, expected[i].second, 1e-9) << "rank " << i;
        }
    }
}

TEST_P(Search, FindsOnlyTheCallersOwnMoleculesAndProjectIdsNarrowTheScope) {
    const auto server = start_ready();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    const auto ada_one = project(ada, "Ada one");
    const auto ada_two = project(ada, "Ada two", false);
    const auto bob_one = project(bob, "Bob one");
    // The same structures everywhere.
    const std::vector<NamedSmiles> structures = {
        {"c1ccccc1O", "phenol"},
        {"c1ccccc1N", "aniline"},
        {"Cc1ccccc1", "toluene"},
        {"OC(=O)c1ccccc1", "benzoic acid"},
        {"CCO", "ethanol"},
    };
    std::map<std::string, std::set<std::string>> ids_in;
    for (const auto& [who, id] :
         {std::pair<ApiCaller*, std::string>{&ada, ada_one}, {&ada, ada_two}, {&bob, bob_one}}) {
        const auto added = add_all(*who, id, structures);
        ids_in[id] = std::set<std::string>(added.begin(), added.end());
        ASSERT_EQ(ids_in[id].size(), structures.size());
    }
    std::set<std::string> adas = ids_in[ada_one];
    adas.insert(ids_in[ada_two].begin(), ids_in[ada_two].end());
    const auto& bobs = ids_in[bob_one];

    const std::vector<nlohmann::json> queries = {
        {{"type", "substructure"}, {"query", "c1ccccc1"}},
        {{"type", "substructure"}, {"query", "[#6]"}, {"query_format", "smarts"}},
        {{"type", "similarity"}, {"query", "Oc1ccccc1"}, {"threshold", 0.0}},
        {{"type", "exact"}, {"query", "OCC"}},
        {{"type", "exact"}, {"query", "Oc1ccccc1"}, {"mode", "tautomer"}},
    };
    for (const auto& query : queries) {
        SCOPED_TRACE(query.dump());
        const auto for_ada = search_all(ada, query);
        const auto for_bob = search_all(bob, query);
        ASSERT_FALSE(for_ada.hits.empty());
        for (const auto& hit : for_ada.hits) {
            EXPECT_TRUE(adas.contains(hit.id)) << "not Ada's: " << hit.id;
            EXPECT_NE(hit.project_id, bob_one);
        }
        for (const auto& hit : for_bob.hits) {
            EXPECT_TRUE(bobs.contains(hit.id)) << "not Bob's: " << hit.id;
        }
        EXPECT_EQ(for_ada.hits.size(), 2 * for_bob.hits.size()) << "two projects against one";
        EXPECT_EQ(for_ada.in_scope, static_cast<std::int64_t>(adas.size()));
        EXPECT_EQ(for_bob.in_scope, static_cast<std::int64_t>(bobs.size()));

        auto narrowed = query;
        narrowed["project_ids"] = {ada_two};
        const auto in_two = search_all(ada, narrowed);
        EXPECT_EQ(in_two.in_scope, static_cast<std::int64_t>(structures.size()));
        EXPECT_EQ(in_two.hits.size(), for_bob.hits.size());
        for (const auto& hit : in_two.hits) {
            EXPECT_TRUE(ids_in[ada_two].contains(hit.id));
            EXPECT_EQ(hit.project_id, ada_two);
        }
        narrowed["project_ids"] = {ada_one, ada_two};
        EXPECT_EQ(ids_of(search_all(ada, narrowed).hits), ids_of(for_ada.hits));
    }

    // Someone else's project and one that does not exist get the same answer, and it tells
    // nothing about Bob's project.
    const nlohmann::json base = {{"type", "substructure"}, {"query", "c1ccccc1"}};
    std::optional<std::string> detail;
    for (const auto& [project_ids, unseen] : std::vector<std::pair<nlohmann::json, std::string>>{
             {nlohmann::json{bob_one}, bob_one},
             {nlohmann::json{kMissingId}, kMissingId},
             {nlohmann::json{kAnotherMissingId}, kAnotherMissingId},
             {nlohmann::json{ada_one, bob_one}, bob_one}}) {
        SCOPED_TRACE(project_ids.dump());
        auto query = base;
        query["project_ids"] = project_ids;
        const auto refused = search(ada, query);
        ASSERT_EQ(refused.status, 404) << refused.body;
        EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(refused.body.find("Bob one"), std::string::npos);
        for (const auto& id : bobs) {
            EXPECT_EQ(refused.body.find(id), std::string::npos) << "leaks a molecule id";
        }
        // The detail may name the project asked for; apart from that it is the same.
        auto this_detail = refused.json().value("detail", "");
        for (auto at = this_detail.find(unseen); at != std::string::npos;
             at = this_detail.find(unseen)) {
            this_detail.replace(at, unseen.size(), "{id}");
        }
        if (detail) {
            EXPECT_EQ(this_detail, *detail) << "one answer for every project Ada cannot see";
        }
        detail = this_detail;
    }

    // Malformed scopes are 422 naming project_ids.
    std::vector<std::string> too_many(101, kMissingId);
    for (const auto& project_ids :
         {nlohmann::json{"not-a-uuid"},
          nlohmann::json{ada_one, "not-a-uuid"},
          nlohmann::json::array(),
          nlohmann::json(too_many),
          nlohmann::json(ada_one),
          nlohmann::json{42}}) {
        SCOPED_TRACE(project_ids.dump().substr(0, 80));
        auto query = base;
        query["project_ids"] = project_ids;
        const auto refused = search(ada, query);
        ASSERT_EQ(refused.status, 422) << refused.body;
        const auto errors = refused.json().value("errors", nlohmann::json::array());
        ASSERT_FALSE(errors.empty()) << refused.body;
        EXPECT_TRUE(errors[0].value("field", "").starts_with("project_ids")) << refused.body;
    }
}

TEST_P(Search, PagesWalkTheWholeHitListAndACursorBelongsToItsQuery) {
    const auto server = start_ready();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Alkylbenzenes");
    std::vector<NamedSmiles> molecules;
    for (int n = 0; n < 25; ++n) {
        molecules.push_back({"c1ccccc1" + std::string(static_cast<std::size_t>(n), 'C'), ""});
    }
    for (int n = 1; n <= 5; ++n) {
        molecules.push_back({std::string(static_cast<std::size_t>(n), 'C') + "N", ""});
    }
    const auto added = add_all(ada, project_id, molecules);
    ASSERT_EQ(std::count(added.begin(), added.end(), ""), 0);

    const nlohmann::json substructure = {{"type", "substructure"}, {"query", "c1ccccc1"}};
    const nlohmann::json similarity = {
        {"type", "similarity"}, {"query", "c1ccccc1CCC"}, {"threshold", 0.05}};
    for (const auto& query : {substructure, similarity}) {
        SCOPED_TRACE(query.dump());
        const auto whole = search_all(ada, query);
        EXPECT_EQ(whole.pages, 1);
        ASSERT_GE(whole.hits.size(), 20U);
        EXPECT_EQ(whole.total, static_cast<std::int64_t>(whole.hits.size()));
        const auto paged = search_all(ada, query, 2);
        EXPECT_EQ(ids_of(paged.hits), ids_of(whole.hits)) << "every hit once, in order";
        EXPECT_EQ(paged.total, whole.total);
        EXPECT_EQ(paged.pages, static_cast<int>((whole.hits.size() + 1) / 2));
        for (std::size_t i = 0; i < whole.hits.size(); ++i) {
            EXPECT_DOUBLE_EQ(paged.hits[i].score, whole.hits[i].score);
        }
    }
    const auto whole = search_all(ada, substructure);
    ASSERT_EQ(whole.hits.size(), 25U);

    auto first_page = substructure;
    first_page["limit"] = 2;
    const auto page = search(ada, first_page);
    ASSERT_EQ(page.status, 200);
    const auto cursor = page.json()["next_cursor"];
    ASSERT_TRUE(cursor.is_string());

    // Limit and time budget may change between pages; the cursor keeps its place.
    auto resumed = substructure;
    resumed["cursor"] = cursor;
    resumed["limit"] = 5;
    resumed["max_time_ms"] = 5'000;
    const auto next = search(ada, resumed);
    ASSERT_EQ(next.status, 200) << next.body;
    Answer next_answer;
    read_page(next.json(), next_answer);
    const auto whole_ids = ids_of(whole.hits);
    EXPECT_EQ(
        ids_of(next_answer.hits),
        std::vector<std::string>(whole_ids.begin() + 2, whole_ids.begin() + 7)
    );

    // Any other change makes it another query: the cursor is refused.
    std::vector<nlohmann::json> others;
    for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"query", "c1ccccc1C"},
             {"query_format", "smarts"},
             {"use_chirality", true},
             {"project_ids", {project_id}}}) {
        auto other = substructure;
        other[key] = value;
        others.push_back(other);
    }
    others.push_back({{"type", "similarity"}, {"query", "c1ccccc1"}});
    others.push_back({{"type", "exact"}, {"query", "c1ccccc1"}});
    for (auto other : others) {
        SCOPED_TRACE(other.dump());
        other["cursor"] = cursor;
        const auto refused = search(ada, other);
        EXPECT_EQ(refused.status, 422) << refused.body;
        EXPECT_TRUE(names_field(refused, "cursor")) << refused.body;
    }
    for (const auto& garbage :
         {nlohmann::json("not-a-cursor"), nlohmann::json(""), nlohmann::json(7)}) {
        auto forged = substructure;
        forged["cursor"] = garbage;
        const auto refused = search(ada, forged);
        EXPECT_EQ(refused.status, 422) << garbage.dump();
        EXPECT_TRUE(names_field(refused, "cursor")) << refused.body;
    }
}

TEST_P(Search, EveryBadFieldIs422NamingIt) {
    // A low ceiling, to test the range of max_time_ms.
    const auto server =
        start_ready({{"SEARCH_MAX_TIME_MS", "2000"}, {"SEARCH_DEFAULT_TIME_MS", "1000"}});
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Something to search");
    add(ada, project_id, "c1ccccc1O");

    struct Case {
        nlohmann::json body;
        std::string field;
    };
    const nlohmann::json sub = {{"type", "substructure"}, {"query", "c1ccccc1"}};
    const nlohmann::json sim = {{"type", "similarity"}, {"query", "c1ccccc1"}};
    const nlohmann::json exact = {{"type", "exact"}, {"query", "c1ccccc1"}};
    const auto with = [](nlohmann::json body, const std::string& key, nlohmann::json value) {
        body[key] = std::move(value);
        return body;
    };
    const std::vector<Case> cases = {
        {{{"query", "CCO"}}, "type"},
        {with(sub, "type", "fuzzy"), "type"},
        {with(sub, "type", 5), "type"},
        {{{"type", "substructure"}}, "query"},
        {with(sub, "query", ""), "query"},
        {with(sub, "query", "  \t "), "query"},
        {with(sub, "query", std::string(4'097, 'C')), "query"},
        {with(sub, "query", std::string(1'001, 'C')), "query"},  // over 1,000 heavy atoms
        {with(sub, "query", 42), "query"},
        {with(sub, "query", "C1CC"), "query"},             // SMILES syntax
        {with(sub, "query", "CC(C)(C)(C)(C)C"), "query"},  // valence
        {with(with(sub, "query", "[C"), "query_format", "smarts"), "query"},
        {with(sim, "query", "C1CC"), "query"},
        {with(exact, "query", "C1CC"), "query"},
        {with(sub, "query_format", "inchi"), "query_format"},
        {with(sim, "query_format", "smarts"), "query_format"},
        {with(exact, "query_format", "smiles"), "query_format"},
        {with(sub, "use_chirality", "yes"), "use_chirality"},
        {with(sim, "use_chirality", true), "use_chirality"},
        {with(sim, "threshold", 1.5), "threshold"},
        {with(sim, "threshold", -0.1), "threshold"},
        {with(sim, "threshold", "0.5"), "threshold"},
        {with(sub, "threshold", 0.5), "threshold"},
        {with(sim, "top_k", 0), "top_k"},
        {with(sim, "top_k", 10'001), "top_k"},
        {with(sim, "top_k", 2.5), "top_k"},
        {with(exact, "top_k", 3), "top_k"},
        {with(exact, "mode", "fuzzy"), "mode"},
        {with(sub, "mode", "canonical"), "mode"},
        {with(sub, "limit", 0), "limit"},
        {with(sub, "limit", 201), "limit"},
        {with(sub, "limit", "10"), "limit"},
        {with(sub, "max_time_ms", 0), "max_time_ms"},
        {with(sub, "max_time_ms", 2'001), "max_time_ms"},  // above SEARCH_MAX_TIME_MS
        {with(sub, "max_time_ms", -5), "max_time_ms"},
        {with(sub, "max_time_ms", 1.5), "max_time_ms"},
        {with(sub, "cursor", 7), "cursor"},
        {with(sub, "smiles", "CCO"), "smiles"},  // an unknown field
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.body.dump().substr(0, 120));
        const auto response = search(ada, c.body);
        EXPECT_EQ(response.status, 422) << response.body;
        EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
        EXPECT_TRUE(names_field(response, c.field))
            << "expected a field error for " << c.field << ": " << response.body;
    }

    // The edges of each range are accepted.
    const std::vector<nlohmann::json> good = {
        sub,
        // The longest query (4,096 characters once trimmed), within 1,000 heavy atoms.
        with(
            sub,
            "query",
            "  C" +
                [] {
                    std::string chain;
                    for (int i = 0; i < 819; ++i) {
                        chain += "[CH2]";
                    }
                    return chain;
                }() +
                "\n"
        ),
        with(sub, "max_time_ms", 2'000),
        with(sub, "max_time_ms", 1),
        with(sub, "limit", 1),
        with(sub, "limit", 200),
        with(with(sub, "query_format", "smiles"), "use_chirality", true),
        with(sim, "threshold", 0),
        with(sim, "threshold", 1),
        with(sim, "top_k", 1),
        with(sim, "top_k", 10'000),
        with(exact, "mode", "canonical"),
        with(exact, "mode", "no_stereo"),
        with(exact, "mode", "tautomer"),
    };
    for (const auto& body : good) {
        SCOPED_TRACE(body.dump().substr(0, 120));
        EXPECT_EQ(search(ada, body).status, 200);
    }

    EXPECT_EQ(ada.send_raw("POST", kSearchPath, "[]", "application/json").status, 422);
    EXPECT_EQ(ada.send_raw("POST", kSearchPath, "{\"type\":", "application/json").status, 400);
    EXPECT_EQ(ada.send_raw("POST", kSearchPath, sub.dump(), "text/plain").status, 415);

    HttpClient anonymous(server->port());
    EXPECT_EQ(anonymous.post_json(kSearchPath, sub).status, 401);
    EXPECT_EQ(
        anonymous.post_json(kSearchPath, sub, {{"Authorization", "Bearer not-a-token"}}).status, 401
    );
}

TEST_P(Search, ExactModesFindStereoisomersTautomersAndSaltParents) {
    const auto server = start_ready();
    auto ada = caller(*server, "ada@example.com");
    const auto parents = project(ada, "Parents");  // standardize: salts → parent
    const auto as_drawn = project(ada, "As drawn", false);
    const auto l_ala = add(ada, parents, "N[C@@H](C)C(=O)O");
    const auto d_ala = add(ada, parents, "N[C@H](C)C(=O)O");
    const auto ala = add(ada, parents, "NC(C)C(=O)O");
    const auto e_butene = add(ada, parents, "C/C=C/CO");
    const auto z_butene = add(ada, parents, "C/C=C\\CO");
    const auto hydroxy = add(ada, as_drawn, "Oc1ccccn1");       // 2-hydroxypyridine
    const auto pyridone = add(ada, as_drawn, "O=c1cccc[nH]1");  // its tautomer, 2-pyridone
    const auto aspirin = add(ada, parents, "CC(=O)Oc1ccccc1C(=O)O");
    const auto sodium_salt = add(ada, as_drawn, "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]");

    const auto exact = [&ada](const std::string& query, const std::string& mode) {
        return id_set(search_all(ada, {{"type", "exact"}, {"query", query}, {"mode", mode}}).hits);
    };
    using Ids = std::set<std::string>;
    EXPECT_EQ(exact("C[C@H](N)C(=O)O", "canonical"), (Ids{l_ala})) << "L-alanine, written anew";
    EXPECT_EQ(exact("N[C@@H](C)C(=O)O", "no_stereo"), (Ids{l_ala, d_ala, ala}));
    EXPECT_EQ(exact("NC(C)C(=O)O", "canonical"), (Ids{ala}));
    EXPECT_EQ(exact("C/C=C/CO", "canonical"), (Ids{e_butene}));
    EXPECT_EQ(exact("OC/C=C\\C", "canonical"), (Ids{z_butene}));
    EXPECT_EQ(exact("C/C=C/CO", "no_stereo"), (Ids{e_butene, z_butene}));

    EXPECT_EQ(exact("Oc1ccccn1", "canonical"), (Ids{hydroxy}));
    EXPECT_EQ(exact("O=c1cccc[nH]1", "canonical"), (Ids{pyridone}));
    EXPECT_EQ(exact("Oc1ccccn1", "no_stereo"), (Ids{hydroxy}));
    EXPECT_EQ(exact("Oc1ccccn1", "tautomer"), (Ids{hydroxy, pyridone}));
    EXPECT_EQ(exact("O=c1cccc[nH]1", "tautomer"), (Ids{hydroxy, pyridone}));

    // The salt as a query finds what was stored from it as drawn, and the parent stored in the
    // standardizing project; the parent as a query does not find the salt stored as drawn.
    EXPECT_EQ(exact("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]", "canonical"), (Ids{aspirin, sodium_salt}));
    EXPECT_EQ(exact("[Na+].[O-]C(=O)c1ccccc1OC(C)=O", "canonical"), (Ids{aspirin, sodium_salt}));
    EXPECT_EQ(exact("OC(=O)c1ccccc1OC(C)=O", "canonical"), (Ids{aspirin}));
    EXPECT_EQ(exact("CCO", "canonical"), Ids{});

    // mode defaults to canonical; hits come in molecule id order with score 1.
    const auto by_default = search_all(ada, {{"type", "exact"}, {"query", "Oc1ccccn1"}});
    EXPECT_EQ(id_set(by_default.hits), (Ids{hydroxy}));
    const auto both =
        search_all(ada, {{"type", "exact"}, {"query", "N[C@@H](C)C(=O)O"}, {"mode", "no_stereo"}});
    const auto both_ids = ids_of(both.hits);
    EXPECT_TRUE(std::is_sorted(both_ids.begin(), both_ids.end()));
    for (const auto& hit : both.hits) {
        EXPECT_EQ(hit.score, 1.0);
        EXPECT_TRUE(hit.name.is_null());
        EXPECT_EQ(hit.project_id, parents);
    }
}

TEST_P(Search, CommitsOnOneInstanceAreFoundOnEveryInstanceWithinASecond) {
    // Two instances on one database (on SQLite, both open the same file).
    const auto a = start_ready();
    const auto b = start_ready();
    const auto token = sign_up(a->port(), "ada@example.com");
    ApiCaller on_a(a->port(), token);
    ApiCaller on_b(b->port(), token);
    const auto kept = project(on_a, "Kept");
    const auto doomed = project(on_a, "Doomed");

    // Added through A: found through B (and A) within a second of the add's answer.
    const std::string decanol = "CCCCCCCCCCO";
    const auto id = add(on_a, kept, decanol);
    auto deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] { return contains(exact_ids(on_b, decanol), id); }))
        << "instance B did not find the molecule added through A within 1 s";
    EXPECT_TRUE(eventually(deadline, [&] { return contains(exact_ids(on_a, decanol), id); }));

    // And the other way round.
    const std::string nonanol = "CCCCCCCCCO";
    const auto other_id = add(on_b, kept, nonanol);
    deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] { return contains(exact_ids(on_a, nonanol), other_id); }))
        << "instance A did not find the molecule added through B within 1 s";

    // Deleted through A: gone from B within a second.
    ASSERT_EQ(on_a.send("DELETE", molecule_path(id)).status, 204);
    deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] { return lacks(exact_ids(on_b, decanol), id); }))
        << "instance B still found the molecule deleted through A after 1 s";
    EXPECT_TRUE(eventually(deadline, [&] { return lacks(exact_ids(on_a, decanol), id); }));

    // A whole project deleted through A: all of its molecules gone from B within a second,
    // the other project's still there.
    const auto doomed_ids = add_all(
        on_a, doomed, {{"c1ccccc1O", ""}, {"c1ccccc1N", ""}, {"CCOCC", ""}, {"C1CCCCC1", ""}}
    );
    deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] {
        const auto all = every_id(on_b);
        return all && std::all_of(doomed_ids.begin(), doomed_ids.end(), [&all](const auto& x) {
                   return all->contains(x);
               });
    })) << "instance B did not find the bulk add within 1 s";
    ASSERT_EQ(on_a.send("DELETE", "/api/v1/projects/" + doomed).status, 204);
    deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] {
        const auto all = every_id(on_b);
        return all && std::none_of(doomed_ids.begin(), doomed_ids.end(), [&all](const auto& x) {
                   return all->contains(x);
               });
    })) << "instance B still found molecules of the project deleted through A after 1 s";
    EXPECT_EQ(every_id(on_b), (std::set<std::string>{other_id}));
    EXPECT_EQ(every_id(on_a), (std::set<std::string>{other_id}));
}

TEST_P(Search, ATransactionThatCommitsAfterALaterOneIsNotMissed) {
    if (GetParam() != db::Backend::kPostgres) {
        GTEST_SKIP() << "SQLite has one writer at a time: its commits cannot overtake each other";
    }
    const auto a = start_ready();
    const auto b = start_ready();
    const auto token = sign_up(a->port(), "ada@example.com");
    ApiCaller on_a(a->port(), token);
    ApiCaller on_b(b->port(), token);
    // Two projects: the API add below locks its project's row (the molecule count), which the
    // open transaction's foreign-key check on the first project would otherwise block.
    const auto first = project(on_a, "First");
    const auto second = project(on_a, "Second");
    const std::string octanol = "CCCCCCCCO";
    const auto original = add(on_a, first, octanol);
    ASSERT_TRUE(eventually(Clock::now() + kFreshness, [&] {
        return contains(exact_ids(on_b, octanol), original);
    }));

    // An admin transaction inserts a copy of the molecule (every column, its search entry
    // included) under a new id, and stays open: its change-log row takes an earlier sequence
    // number than the API add below, but commits after it.
    const auto copy_id = std::string("c0ffee00-0000-4000-8000-000000000001");
    const std::string copy_sql = copy_molecule_sql();
    const auto admin = database_->open();
    auto transaction = admin->begin();
    const auto inserted = transaction.execute(
        {"copy_molecule", copy_sql}, {copy_id, std::string("out-of-order-copy"), original}
    );
    ASSERT_EQ(inserted.affected_rows, 1);

    // Meanwhile a later add through the API commits, and B finds it. (Bounded: if the add
    // waited for the open transaction, the test would hang instead of failing.)
    const std::string naphthalene = "c1ccc2ccccc2c1";
    auto later = std::async(std::launch::async, [&] {
        ApiCaller own(a->port(), token);
        return add(own, second, naphthalene);
    });
    if (later.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        transaction.commit();
        FAIL() << "an API add waited for an unrelated open transaction";
    }
    const auto later_id = later.get();
    ASSERT_TRUE(eventually(Clock::now() + std::chrono::seconds(5), [&] {
        return contains(exact_ids(on_b, naphthalene), later_id);
    }));

    // Now the earlier transaction commits: B must still find its molecule within a second (a
    // poll that only asks for sequence numbers above the last one it saw would miss it).
    transaction.commit();
    const auto deadline = Clock::now() + kFreshness;
    EXPECT_TRUE(eventually(deadline, [&] { return contains(exact_ids(on_b, octanol), copy_id); }))
        << "instance B missed a molecule whose transaction committed out of order";
    EXPECT_TRUE(eventually(deadline, [&] { return contains(exact_ids(on_a, octanol), copy_id); }))
        << "instance A missed it too";
}

TEST_P(Search, ASearchSeesEveryCommitMadeBeforeItBeganWithoutWaitingForThePollInterval) {
    // Polls five seconds apart: only the poll a search asks for (or finds unnecessary) can make
    // the first answer after each commit right. Every search below is tried once.
    const EnvMap slow_polls = {{"SEARCH_POLL_INTERVAL_MS", "5000"}};
    const auto a = start_ready(slow_polls);
    const auto b = start_ready(slow_polls);
    const auto token = sign_up(a->port(), "ada@example.com");
    ApiCaller on_a(a->port(), token);
    ApiCaller on_b(b->port(), token);
    const auto first = project(on_a, "First");
    const auto second = project(on_a, "Second");

    for (const std::string smiles : {"CCCCCO", "CCCCCCO", "CCCCCCCO", "CCCCCCCCO"}) {
        SCOPED_TRACE(smiles);
        const auto id = add(on_a, first, smiles);
        EXPECT_TRUE(contains(exact_ids(on_b, smiles), id)) << "B missed an add committed on A";
        EXPECT_TRUE(contains(exact_ids(on_a, smiles), id));
        ASSERT_EQ(on_a.send("DELETE", molecule_path(id)).status, 204);
        EXPECT_TRUE(lacks(exact_ids(on_b, smiles), id)) << "B still found a deleted molecule";
    }
    if (GetParam() != db::Backend::kPostgres) {
        return;  // SQLite commits cannot overtake each other
    }

    // A transaction that stays open across searches and commits after a later one.
    const std::string octanol = "CCCCCCCCO";
    const auto original = add(on_a, first, octanol);
    const auto admin = database_->open();
    auto transaction = admin->begin();
    const auto copy_id = std::string("c0ffee00-0000-4000-8000-000000000002");
    ASSERT_EQ(
        transaction
            .execute(
                {"copy_molecule", copy_molecule_sql()},
                {copy_id, std::string("out-of-order-copy"), original}
            )
            .affected_rows,
        1
    );
    const std::string naphthalene = "c1ccc2ccccc2c1";
    const auto later_id = add(on_a, second, naphthalene);
    EXPECT_TRUE(contains(exact_ids(on_b, naphthalene), later_id));
    EXPECT_TRUE(lacks(exact_ids(on_b, octanol), copy_id));
    transaction.commit();
    EXPECT_TRUE(contains(exact_ids(on_b, octanol), copy_id))
        << "B missed a molecule whose transaction committed out of order";
    EXPECT_TRUE(contains(exact_ids(on_a, octanol), copy_id));
}

TEST_P(Search, ConcurrentAddsOnTwoInstancesAreAllFoundOnBoth) {
    const auto a = start_ready();
    const auto b = start_ready();
    const auto token = sign_up(a->port(), "ada@example.com");
    ApiCaller on_a(a->port(), token);
    ApiCaller on_b(b->port(), token);
    const auto project_id = project(on_a, "Busy", false);
    const auto nci = nci_molecules(48);
    constexpr std::size_t kThreads = 8;  // four on each instance, each adding one at a time

    std::vector<std::future<std::vector<std::string>>> adders;
    for (std::size_t t = 0; t < kThreads; ++t) {
        adders.push_back(std::async(std::launch::async, [&, t] {
            ApiCaller own(t % 2 == 0 ? a->port() : b->port(), token);
            std::vector<std::string> ids;
            for (std::size_t i = t; i < nci.size(); i += kThreads) {
                const auto added =
                    own.send("POST", molecules_path(project_id), {{"smiles", nci[i].smiles}});
                if (added.status == 201) {
                    ids.push_back(added.json()["id"]);
                } else {
                    EXPECT_EQ(added.status, 409) << "only a repeated NCI structure is refused";
                }
            }
            return ids;
        }));
    }
    std::set<std::string> expected;
    for (auto& adder : adders) {
        const auto ids = adder.get();
        expected.insert(ids.begin(), ids.end());
    }
    const auto deadline = Clock::now() + kFreshness;
    ASSERT_GE(expected.size(), 40U);
    std::optional<std::set<std::string>> last_a;
    std::optional<std::set<std::string>> last_b;
    EXPECT_TRUE(eventually(
        deadline,
        [&] {
            last_b = every_id(on_b, {project_id});
            return last_b == expected;
        }
    )) << "instance B found "
       << (last_b ? last_b->size() : 0) << " of " << expected.size();
    EXPECT_TRUE(eventually(
        deadline,
        [&] {
            last_a = every_id(on_a, {project_id});
            return last_a == expected;
        }
    )) << "instance A found "
       << (last_a ? last_a->size() : 0) << " of " << expected.size();
}

TEST_P(Search, ABudgetTooSmallGivesAPartialAnswerOfTrueHits) {
    const auto server = start_ready();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Many", false);
    const auto added = add_all(ada, project_id, nci_molecules(1'500));
    const auto registered = static_cast<std::int64_t>(
        added.size() - static_cast<std::size_t>(std::count(added.begin(), added.end(), ""))
    );
    ASSERT_GE(registered, 1'400);

    // A SMARTS that screening cannot narrow: nearly every molecule has a path of four carbons,
    // so nearly every one must be matched. With chirality on, each match is RDKit's own
    // SubstructMatch (10-20 us for a drug-sized molecule; molvault's matcher answers this one
    // in about 1 us, which 1,500 molecules on two cores can fit in 1 ms), so 1,500 of them
    // take over 10 ms even on every core, and the 1 ms budget also covers reading the
    // caller's projects and parsing the query: it cannot cover them all.
    const nlohmann::json query = {
        {"type", "substructure"},
        {"query", "[#6]~[#6]~[#6]~[#6]"},
        {"query_format", "smarts"},
        {"use_chirality", true}};
    // The hurried search first: a complete result is kept for paging, and a later search of
    // the same query would answer from it, complete, whatever its budget.
    // (A search waits for the index to catch up with the adds only as long as its budget
    // allows: an unhurried one goes first.)
    ASSERT_TRUE(search_all(ada, {{"type", "exact"}, {"query", "C"}}).complete);
    auto hurried = query;
    hurried["max_time_ms"] = 1;
    const auto partial = search_all(ada, hurried);
    const auto full = search_all(ada, query);
    ASSERT_TRUE(full.complete) << "the default budget (10 s) covers 1,500 molecules";
    EXPECT_EQ(full.in_scope, registered);
    EXPECT_EQ(full.examined, registered);
    EXPECT_GE(full.hits.size(), 1'000U);
    const auto every_hit = id_set(full.hits);
    const auto again = search_all(ada, hurried);
    EXPECT_TRUE(again.complete) << "answered from the kept result";
    EXPECT_EQ(again.hits.size(), full.hits.size());

    EXPECT_FALSE(partial.complete);
    EXPECT_EQ(partial.in_scope, registered);
    EXPECT_GE(partial.examined, 0);
    EXPECT_LT(partial.examined, partial.in_scope);
    EXPECT_LE(partial.total, static_cast<std::int64_t>(full.hits.size()));
    for (const auto& hit : partial.hits) {
        EXPECT_TRUE(every_hit.contains(hit.id)) << "not a hit: " << hit.id;
    }
}

TEST_P(Search, StartUpLoadsStoredEntriesAndRebuildsMissingOnes) {
    auto server = start_ready();
    const auto token = sign_up(server->port(), "ada@example.com");
    std::set<std::string> expected;
    {
        ApiCaller ada(server->port(), token);
        const auto project_id = project(ada, "Kept across restarts", false);
        const auto added = add_all(ada, project_id, nci_molecules(200));
        expected = std::set<std::string>(added.begin(), added.end());
        expected.erase("");
        ASSERT_EQ(every_id(ada), expected);
    }
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules WHERE search_entry IS NULL"), 0)
        << "each molecule's entry is stored with it";

    // Restarted: the index loads the stored entries. More molecules than SEARCH_PARSED_MAX:
    // the index holds them as pickles.
    server.reset();
    server = start_ready({{"SEARCH_PARSED_MAX", "100"}});
    {
        ApiCaller ada(server->port(), token);
        EXPECT_EQ(every_id(ada), expected) << "found after a restart";
        EXPECT_NE(server->log().find(R"("match_store":"pickles")"), std::string::npos)
            << server->log();
    }

    // Without stored entries the index prepares them from the pickles, and writes them back.
    server.reset();
    query({"forget_search_entries", "UPDATE molecules SET search_entry = NULL"});
    ASSERT_EQ(
        scalar("SELECT COUNT(*) FROM molecules WHERE search_entry IS NULL"),
        static_cast<std::int64_t>(expected.size())
    );
    server = start();
    {
        // While the index loads, a search is 503 with Retry-After (or, once loaded, 200).
        ApiCaller ada(server->port(), token);
        HttpClient client(server->port());
        bool ready = false;
        const auto deadline = Clock::now() + kReadyTimeout;
        while (!ready && Clock::now() < deadline) {
            const auto answer = search(ada, {{"type", "exact"}, {"query", "CCO"}});
            if (answer.status == 503) {
                EXPECT_TRUE(answer.header("Retry-After").has_value());
                EXPECT_EQ(answer.header("Content-Type"), "application/problem+json");
            } else {
                EXPECT_EQ(answer.status, 200) << answer.body;
            }
            const auto health = client.get("/health/ready");
            const auto body = nlohmann::json::parse(health.body, nullptr, false);
            ASSERT_TRUE(body.is_object() && body.contains("checks")) << health.body;
            const auto search_check = body["checks"].value("search", "");
            EXPECT_TRUE(search_check == "ok" || search_check == "unavailable") << health.body;
            ready = health.status == 200 && search_check == "ok";
            if (!ready) {
                EXPECT_EQ(health.status, 503);
                std::this_thread::sleep_for(kPollInterval);
            }
        }
        ASSERT_TRUE(ready) << server->log();
        EXPECT_EQ(every_id(ada), expected) << "found after a restart without stored entries";
    }
    EXPECT_TRUE(eventually(Clock::now() + std::chrono::seconds(30), [this] {
        return scalar("SELECT COUNT(*) FROM molecules WHERE search_entry IS NULL") == 0;
    })) << "the prepared entries are written back";
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, Search, testing::Values(db::Backend::kSqlite, db::Backend::kPostgres)
);

}  // namespace
}  // namespace molvault::test
