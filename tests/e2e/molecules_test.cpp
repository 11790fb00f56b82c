// Molecules end to end: the real binary over HTTP, on SQLite and on PostgreSQL, checked against
// the database it writes and against RDKit's own answers (python3-rdkit, the same RDKit build).
// Every test registers its own users.
#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
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

constexpr const char* kNciSet = "/usr/share/RDKit/Data/NCI/first_5K.smi";
constexpr const char* kMissingId = "00000000-0000-4000-8000-000000000000";
constexpr const char* kAspirin = "CC(=O)Oc1ccccc1C(=O)O";
constexpr const char* kAspirinSodium = "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]";

std::string molecules_path(const std::string& project) {
    return "/api/v1/projects/" + project + "/molecules";
}
std::string molecule_path(const std::string& id) { return "/api/v1/molecules/" + id; }

// The first `count` SMILES of the NCI set shipped by Debian's rdkit-data.
std::vector<std::string> nci_smiles(std::size_t count) {
    std::ifstream file(kNciSet);
    std::vector<std::string> smiles;
    std::string line;
    while (smiles.size() < count && std::getline(file, line)) {
        smiles.push_back(line.substr(0, line.find('\t')));
    }
    return smiles;
}

// RDKit's canonical SMILES (Chem.MolToSmiles) of each input, computed by python3-rdkit (Debian's
// interpreter by path: a python3 earlier on PATH may not have it).
// A fresh directory per call: the backends' instances of a test run in parallel.
std::vector<std::string> rdkit_canonical(const std::vector<std::string>& inputs) {
    const TempDir temp;
    const auto script = temp.path() / "molvault_canon.py";
    {
        std::ofstream out(script);
        out << "import sys\nfrom rdkit import Chem, RDLogger\nRDLogger.DisableLog('rdApp.*')\n"
               "for line in sys.stdin.read().split('\\n')[:-1]:\n"
               "    print(Chem.MolToSmiles(Chem.MolFromSmiles(line)))\n";
    }
    const auto input = temp.path() / "molvault_canon.txt";
    {
        std::ofstream out(input);
        for (const auto& smiles : inputs) {
            out << smiles << '\n';
        }
    }
    const auto command = "/usr/bin/python3 " + script.string() + " < " + input.string();
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::vector<std::string> canonical;
    std::array<char, 4096> buffer{};
    while (fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) {
        std::string line(buffer.data());
        line.pop_back();
        canonical.push_back(line);
    }
    return canonical;
}

class Molecules : public BackendTest {};
TEST_P(Molecules, AddsReadsListsUpdatesAndDeletesAMolecule) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Analgesics");

    const auto added = ada.send(
        "POST",
        molecules_path(project_id),
        {{"smiles", "  " + std::string(kAspirin) + "\n"},
         {"name", "  Aspirin "},
         {"properties", {{"batch", "A-17"}, {"ic50_nm", 12.5}, {"active", true}}}}
    );
    ASSERT_EQ(added.status, 201) << added.body;
    const auto molecule = added.json();
    std::set<std::string> keys;
    for (const auto& [key, value] : molecule.items()) {
        keys.insert(key);
    }
    EXPECT_EQ(
        keys,
        (std::set<std::string>{
            "id",
            "project_id",
            "name",
            "smiles",
            "properties",
            "canonical_smiles",
            "input_canonical_smiles",
            "standardized",
            "inchi",
            "inchikey",
            "formula",
            "average_mass",
            "exact_mass",
            "heavy_atom_count",
            "clogp",
            "tpsa",
            "hbd",
            "hba",
            "rotatable_bonds",
            "created_at",
            "updated_at"})
    );
    EXPECT_EQ(molecule["project_id"], project_id);
    EXPECT_EQ(molecule["name"], "Aspirin");
    EXPECT_EQ(molecule["smiles"], kAspirin) << "the input, trimmed";
    EXPECT_EQ(molecule["canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)O");
    EXPECT_EQ(
        molecule["inchi"], "InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)"
    );
    EXPECT_EQ(molecule["inchikey"], "BSYNRYMUTXBXSQ-UHFFFAOYSA-N");
    EXPECT_EQ(molecule["formula"], "C9H8O4");
    EXPECT_NEAR(molecule["average_mass"].get<double>(), 180.159, 1e-3);
    EXPECT_NEAR(molecule["exact_mass"].get<double>(), 180.042259, 1e-6);
    EXPECT_EQ(molecule["heavy_atom_count"], 13);
    EXPECT_NEAR(molecule["clogp"].get<double>(), 1.3101, 1e-4);
    EXPECT_NEAR(molecule["tpsa"].get<double>(), 63.6, 1e-2);
    EXPECT_EQ(molecule["hbd"], 1);
    EXPECT_EQ(molecule["hba"], 3);
    EXPECT_EQ(molecule["rotatable_bonds"], 2);
    EXPECT_EQ(molecule["standardized"], false);
    EXPECT_EQ(
        molecule["properties"],
        (nlohmann::json{{"batch", "A-17"}, {"ic50_nm", 12.5}, {"active", true}})
    );
    const std::string id = molecule["id"];

    const auto fetched = ada.send("GET", molecule_path(id));
    ASSERT_EQ(fetched.status, 200);
    EXPECT_EQ(fetched.json(), molecule);
    const auto listed = ada.send("GET", molecules_path(project_id));
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(listed.json()["items"], nlohmann::json::array({molecule}));
    EXPECT_TRUE(listed.json()["next_cursor"].is_null());

    const auto renamed =
        ada.send("PATCH", molecule_path(id), {{"name", "ASA"}, {"properties", {{"batch", "B"}}}});
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(renamed.json()["name"], "ASA");
    EXPECT_EQ(renamed.json()["properties"], (nlohmann::json{{"batch", "B"}}));
    EXPECT_EQ(renamed.json()["canonical_smiles"], molecule["canonical_smiles"]);

    for (const auto& forbidden :
         {nlohmann::json{{"smiles", "CCO"}},
          nlohmann::json{{"canonical_smiles", "CCO"}},
          nlohmann::json{{"project_id", kMissingId}},
          nlohmann::json{{"id", kMissingId}},
          nlohmann::json{{"created_at", "2020-01-01T00:00:00Z"}},
          nlohmann::json{{"average_mass", 1.0}}}) {
        const auto refused = ada.send("PATCH", molecule_path(id), forbidden);
        EXPECT_EQ(refused.status, 422) << forbidden.dump();
    }
    EXPECT_EQ(ada.send("GET", molecule_path(id)).json()["name"], "ASA") << "nothing changed";

    EXPECT_EQ(ada.send("DELETE", molecule_path(id)).status, 204);
    EXPECT_EQ(ada.send("GET", molecule_path(id)).status, 404);
    EXPECT_EQ(ada.send("DELETE", molecule_path(id)).status, 404);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 0);
    EXPECT_EQ(scalar("SELECT molecule_count FROM projects"), 0);
}

TEST_P(Molecules, TheSameStructureTwiceInAProjectIsAConflictNamingTheFirst) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto first_project = project(ada, "One");
    const auto second_project = project(ada, "Two");
    const auto first = ada.send("POST", molecules_path(first_project), {{"smiles", "OCC"}});
    ASSERT_EQ(first.status, 201);
    const auto again =
        ada.send("POST", molecules_path(first_project), {{"smiles", "C(O)C"}, {"name", "x"}});
    ASSERT_EQ(again.status, 409) << "ethanol written another way is still ethanol";
    EXPECT_EQ(again.json()["existing_id"], first.json()["id"]);
    EXPECT_NE(
        again.json()["detail"].get<std::string>().find(first.json()["id"].get<std::string>()),
        std::string::npos
    );
    EXPECT_EQ(ada.send("POST", molecules_path(second_project), {{"smiles", "CCO"}}).status, 201)
        << "another project may hold it";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 2);
}

TEST_P(Molecules, BadStructuresAre422NamingTheProblemAndStoreNothing) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Bad input");
    const auto add = [&](const nlohmann::json& body) {
        return ada.send("POST", molecules_path(project_id), body);
    };

    const auto syntax = add({{"smiles", "C1CC(("}});
    ASSERT_EQ(syntax.status, 422) << syntax.body;
    EXPECT_EQ(syntax.json()["errors"][0]["field"], "smiles");
    EXPECT_EQ(syntax.json()["errors"][0]["code"], "syntax");

    const auto valence = add({{"smiles", "CC(C)(C)(C)(C)C"}});
    ASSERT_EQ(valence.status, 422) << valence.body;
    EXPECT_EQ(valence.json()["errors"][0]["code"], "valence");
    EXPECT_EQ(valence.json()["errors"][0]["atom_index"], 1);
    EXPECT_NE(
        valence.json()["errors"][0]["message"].get<std::string>().find("valence"), std::string::npos
    );

    const auto kekulize = add({{"smiles", "c1cccc1"}});
    ASSERT_EQ(kekulize.status, 422);
    EXPECT_EQ(kekulize.json()["errors"][0]["code"], "kekulize");

    for (const auto& bad :
         {std::string(""),
          std::string("   "),
          std::string(20'000, 'C'),
          std::string(4'000, 'C'),  // within the length limit, over the atom limit
          std::string("C\x01O"),
          std::string("CCO trailing words"),
          std::string("\xff\xfe\x00\x01", 4),
          std::string("<script>alert(1)</script>"),
          std::string("'; DROP TABLE molecules; --")}) {
        const auto response = ada.send_raw(
            "POST",
            molecules_path(project_id),
            "{\"smiles\": " +
                nlohmann::json(bad).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                "}",
            "application/json"
        );
        EXPECT_EQ(response.status, 422) << bad.substr(0, 40);
        EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
    }
    EXPECT_EQ(add({{"smiles", 42}}).status, 422);
    EXPECT_EQ(add({{"name", "no structure"}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"molblock", "x"}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"canonical_smiles", "CCO"}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"properties", {{"nested", {{"a", 1}}}}}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"properties", "not an object"}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"name", "tab\there"}}).status, 422);
    EXPECT_EQ(add({{"smiles", "CCO"}, {"name", std::string(1'001, 'n')}}).status, 422);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 0);
    EXPECT_EQ(ada.send("POST", molecules_path("not-a-uuid"), {{"smiles", "C"}}).status, 422);
    EXPECT_EQ(ada.send("POST", molecules_path(kMissingId), {{"smiles", "C"}}).status, 404);
}

TEST_P(Molecules, CanonicalSmilesAgreeWithRdkitForTrickyInputs) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "As drawn", false);
    const std::vector<std::string> inputs = {
        "C1=CC=CC=C1",                 // Kekulé benzene → aromatic
        "c1ccncc1",                    // pyridine
        "O=C1C=CNC=C1",                // 4-pyridone
        "Oc1ccccn1",                   // 2-hydroxypyridine (same InChIKey as 2-pyridone)
        "O=c1cccc[nH]1",               // 2-pyridone
        "C[N+](C)(C)C",                // a quaternary cation
        "[O-]C(=O)CC[NH3+]",           // a zwitterion
        "N[C@@H](C)C(=O)O",            // L-alanine
        "N[C@H](C)C(=O)O",             // D-alanine
        "C/C=C/C",                     // E-2-butene
        "C/C=C\\C",                    // Z-2-butene
        "[13CH4]",                     // an isotope
        "[2H]C([2H])([2H])O",          // deuterated methanol
        "c1ccc2c(c1)[nH]c1ccccc12",    // carbazole
        "Cn1cnc2c1c(=O)n(C)c(=O)n2C",  // caffeine
        "[Na+].[Cl-]",                 // a salt, stored as drawn
        "F[C@](Cl)(Br)I",              // a stereocentre with four halogens
        "C1CC[C@H]2CCCC[C@@H]2C1",     // trans-decalin
        "O=[N+]([O-])c1ccccc1",        // nitrobenzene, charge-separated
        "CN(=O)=O",                    // nitromethane, pentavalent form
    };
    const auto expected = rdkit_canonical(inputs);
    ASSERT_EQ(expected.size(), inputs.size()) << "python3-rdkit answered every input";
    std::set<std::string> seen;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto added = ada.send("POST", molecules_path(project_id), {{"smiles", inputs[i]}});
        if (!seen.insert(expected[i]).second) {
            EXPECT_EQ(added.status, 409) << inputs[i] << " is a duplicate by RDKit's canon";
            continue;
        }
        ASSERT_EQ(added.status, 201) << inputs[i] << ": " << added.body;
        EXPECT_EQ(added.json()["canonical_smiles"], expected[i]) << inputs[i];
        EXPECT_EQ(added.json()["smiles"], inputs[i]);
    }
}

TEST_P(Molecules, SaltFormsCollapseToTheirParentUnderStandardization) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto standardized = project(ada, "Parents");
    const auto as_drawn = project(ada, "Salt registry", false);

    const auto salt = ada.send("POST", molecules_path(standardized), {{"smiles", kAspirinSodium}});
    ASSERT_EQ(salt.status, 201) << salt.body;
    EXPECT_EQ(salt.json()["smiles"], kAspirinSodium);
    EXPECT_EQ(salt.json()["canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)O");
    EXPECT_EQ(salt.json()["standardized"], true);
    EXPECT_EQ(salt.json()["formula"], "C9H8O4");
    const auto parent = ada.send("POST", molecules_path(standardized), {{"smiles", kAspirin}});
    ASSERT_EQ(parent.status, 409) << "aspirin is the sodium salt's parent";
    EXPECT_EQ(parent.json()["existing_id"], salt.json()["id"]);
    const auto hydrochloride =
        ada.send("POST", molecules_path(standardized), {{"smiles", "CN1CCC[C@H]1c1cccnc1.Cl"}});
    ASSERT_EQ(hydrochloride.status, 201);
    EXPECT_EQ(hydrochloride.json()["canonical_smiles"], "CN1CCC[C@H]1c1cccnc1");

    const auto kept = ada.send("POST", molecules_path(as_drawn), {{"smiles", kAspirinSodium}});
    ASSERT_EQ(kept.status, 201);
    EXPECT_EQ(kept.json()["canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]");
    EXPECT_EQ(kept.json()["standardized"], false);
    EXPECT_EQ(ada.send("POST", molecules_path(as_drawn), {{"smiles", kAspirin}}).status, 201)
        << "without standardization salt and parent are different entries";
}

TEST_P(Molecules, LookupFindsAnExactStructureInTheCallersProjectsOnly) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    const auto ada_one = project(ada, "One");
    const auto ada_two = project(ada, "Two", false);
    const auto bob_project = project(bob, "Bob's");
    ASSERT_EQ(ada.send("POST", molecules_path(ada_one), {{"smiles", kAspirinSodium}}).status, 201);
    ASSERT_EQ(ada.send("POST", molecules_path(ada_two), {{"smiles", kAspirin}}).status, 201);
    ASSERT_EQ(bob.send("POST", molecules_path(bob_project), {{"smiles", kAspirin}}).status, 201);

    const auto by_parent = ada.send("GET", "/api/v1/molecules/lookup?smiles=OC(=O)c1ccccc1OC(C)=O");
    ASSERT_EQ(by_parent.status, 200) << by_parent.body;
    ASSERT_EQ(by_parent.json()["items"].size(), 2U) << "both of Ada's, none of Bob's";
    const auto parents = by_parent.json();
    for (const auto& item : parents["items"]) {
        EXPECT_NE(item["project_id"], bob_project);
    }
    const auto by_salt = ada.send(
        "GET", "/api/v1/molecules/lookup?smiles=CC(%3DO)Oc1ccccc1C(%3DO)%5BO-%5D.%5BNa%2B%5D"
    );
    ASSERT_EQ(by_salt.status, 200);
    ASSERT_EQ(by_salt.json()["items"].size(), 1U) << "what was registered from the salt";
    EXPECT_EQ(by_salt.json()["items"][0]["project_id"], ada_one);

    const auto by_key =
        ada.send("GET", "/api/v1/molecules/lookup?inchikey=BSYNRYMUTXBXSQ-UHFFFAOYSA-N&limit=1");
    ASSERT_EQ(by_key.status, 200);
    ASSERT_EQ(by_key.json()["items"].size(), 1U);
    const std::string cursor = by_key.json()["next_cursor"];
    const auto next = ada.send(
        "GET", "/api/v1/molecules/lookup?inchikey=BSYNRYMUTXBXSQ-UHFFFAOYSA-N&cursor=" + cursor
    );
    ASSERT_EQ(next.status, 200);
    ASSERT_EQ(next.json()["items"].size(), 1U);
    EXPECT_TRUE(next.json()["next_cursor"].is_null());
    EXPECT_NE(next.json()["items"][0]["id"], by_key.json()["items"][0]["id"]);

    EXPECT_TRUE(ada.send("GET", "/api/v1/molecules/lookup?smiles=CCO").json()["items"].empty());
    EXPECT_EQ(ada.send("GET", "/api/v1/molecules/lookup?smiles=C1CC").status, 422);
    EXPECT_EQ(ada.send("GET", "/api/v1/molecules/lookup?inchikey=nope").status, 422);
    EXPECT_EQ(ada.send("GET", "/api/v1/molecules/lookup").status, 422);
}

TEST_P(Molecules, ListsPageAndSortByCreationNameAndMass) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Alkanes");
    const std::vector<std::pair<std::string, std::string>> alkanes = {
        {"CCCC", "butane"},
        {"C", "methane"},
        {"CCC", "propane"},
        {"CC", "ethane"},
        {"CCCCC", "pentane"}};
    for (const auto& [smiles, name] : alkanes) {
        ASSERT_EQ(
            ada.send(
                   "POST", molecules_path(project_id), {{"smiles", smiles}, {"name", name}}
            ).status,
            201
        );
    }
    const auto walk = [&](const std::string& sort) {
        std::vector<std::string> names;
        std::string query = "?limit=2&sort=" + sort;
        for (int page = 0; page < 10; ++page) {
            const auto response = ada.send("GET", molecules_path(project_id) + query);
            EXPECT_EQ(response.status, 200) << response.body;
            const auto body = response.json();
            for (const auto& item : body["items"]) {
                names.push_back(item["name"]);
            }
            if (body["next_cursor"].is_null()) {
                break;
            }
            query = "?limit=2&sort=" + sort + "&cursor=" + body["next_cursor"].get<std::string>();
        }
        return names;
    };
    using Names = std::vector<std::string>;
    EXPECT_EQ(walk("created_at"), (Names{"butane", "methane", "propane", "ethane", "pentane"}));
    EXPECT_EQ(walk("-created_at"), (Names{"pentane", "ethane", "propane", "methane", "butane"}));
    EXPECT_EQ(walk("name"), (Names{"butane", "ethane", "methane", "pentane", "propane"}));
    EXPECT_EQ(walk("average_mass"), (Names{"methane", "ethane", "propane", "butane", "pentane"}));
    EXPECT_EQ(walk("-average_mass"), (Names{"pentane", "butane", "propane", "ethane", "methane"}));

    EXPECT_EQ(ada.send("GET", molecules_path(project_id) + "?sort=formula").status, 422);
    const auto first = ada.send("GET", molecules_path(project_id) + "?limit=2&sort=name");
    const std::string cursor = first.json()["next_cursor"];
    EXPECT_EQ(
        ada.send("GET", molecules_path(project_id) + "?sort=average_mass&cursor=" + cursor).status,
        422
    ) << "a cursor belongs to its sort order";
}

TEST_P(Molecules, UserAIsNeverAbleToReachUserBsMolecules) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto eve = caller(*server, "eve@example.com");
    const auto project_id = project(ada, "Secret series");
    const auto added = ada.send(
        "POST", molecules_path(project_id), {{"smiles", "c1ccc2ccccc2c1"}, {"name", "naphthalene"}}
    );
    ASSERT_EQ(added.status, 201);
    const std::string id = added.json()["id"];

    EXPECT_EQ(eve.send("GET", molecule_path(id)).status, 404);
    EXPECT_EQ(eve.send("PATCH", molecule_path(id), {{"name", "mine"}}).status, 404);
    EXPECT_EQ(eve.send("DELETE", molecule_path(id)).status, 404);
    EXPECT_EQ(eve.send("GET", molecule_path(id) + "/depiction.svg").status, 404);
    EXPECT_EQ(eve.send("GET", molecules_path(project_id)).status, 404);
    EXPECT_EQ(eve.send("POST", molecules_path(project_id), {{"smiles", "C"}}).status, 404);
    EXPECT_EQ(
        eve.send(
               "POST", molecules_path(project_id) + ":bulk", {{"molecules", {{{"smiles", "C"}}}}}
        ).status,
        404
    );
    EXPECT_EQ(
        eve.send("DELETE", molecules_path(project_id) + ":bulk", {{"ids", {id}}}).status, 404
    );
    EXPECT_TRUE(
        eve.send("GET", "/api/v1/molecules/lookup?smiles=c1ccc2ccccc2c1").json()["items"].empty()
    );
    EXPECT_TRUE(eve.send("GET", "/api/v1/molecules/lookup?inchikey=UFWIBTONFRDIAS-UHFFFAOYSA-N")
                    .json()["items"]
                    .empty());
    const auto still = ada.send("GET", molecule_path(id));
    ASSERT_EQ(still.status, 200);
    EXPECT_EQ(still.json(), added.json()) << "nothing Eve tried changed anything";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 1);
}

TEST_P(Molecules, MetacharactersInEveryStringFieldAreStoredVerbatim) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Hostile");
    const std::string name = "<script>alert('x')</script>'; DROP TABLE molecules; --";
    const nlohmann::json properties = {
        {"note", "\" OR 1=1 --"},
        {"<img src=x onerror=alert(1)>", "Robert'); DROP TABLE projects;--"},
        {"multi", "line\none\ttab"}};
    const auto added = ada.send(
        "POST",
        molecules_path(project_id),
        {{"smiles", "CCN"}, {"name", name}, {"properties", properties}}
    );
    ASSERT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(added.json()["name"], name);
    EXPECT_EQ(added.json()["properties"], properties);
    EXPECT_EQ(added.header("Content-Type"), "application/json");
    const auto fetched = ada.send("GET", molecule_path(added.json()["id"]));
    EXPECT_EQ(fetched.json()["name"], name);
    EXPECT_EQ(fetched.json()["properties"], properties);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 1);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM projects"), 1);
}

TEST_P(Molecules, BulkOfAThousandReportsEveryRowAndInsertsExactlyTheGoodOnes) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "NCI", false);
    ASSERT_EQ(
        ada.send("POST", molecules_path(project_id), {{"smiles", "CCCCCCCCCCCCCCCCCC"}}).status, 201
    );

    const auto smiles = nci_smiles(1'000);
    const auto canonical = rdkit_canonical(smiles);
    ASSERT_EQ(canonical.size(), smiles.size());
    auto rows = nlohmann::json::array();
    std::map<std::size_t, std::string> expected_error;
    std::map<std::string, std::size_t> first_of;
    for (std::size_t i = 0; i < smiles.size(); ++i) {
        std::string text = smiles[i];
        if (i % 97 == 13) {
            text = "C1CC(";  // a syntax error
            expected_error[i] = "invalid_structure";
        } else if (i % 101 == 7) {
            text = "CCCCCCCCCCCCCCCCCC";  // already in the project
            expected_error[i] = "duplicate_in_project";
        } else if (!first_of.emplace(canonical[i], i).second) {
            expected_error[i] = "duplicate_in_batch";  // the NCI set repeats a few structures
        }
        rows.push_back({{"smiles", text}, {"name", "nci-" + std::to_string(i + 1)}});
    }
    rows[500] = {{"smiles", "CCO"}, {"name", std::string("bad\x01name")}};
    expected_error[500] = "invalid_field";

    const auto response =
        ada.send("POST", molecules_path(project_id) + ":bulk", {{"molecules", rows}});
    ASSERT_EQ(response.status, 200) << response.body.substr(0, 500);
    const auto report = response.json();
    ASSERT_EQ(report["items"].size(), 1'000U);
    std::set<std::string> created_ids;
    for (std::size_t i = 0; i < 1'000; ++i) {
        const auto& item = report["items"][i];
        EXPECT_EQ(item["index"], i);
        if (const auto error = expected_error.find(i); error != expected_error.end()) {
            EXPECT_EQ(item["status"], "error") << i;
            EXPECT_EQ(item["error"]["code"], error->second) << i;
        } else {
            EXPECT_EQ(item["status"], "created") << i << ": " << item.dump();
            created_ids.insert(item.value("id", ""));
        }
    }
    EXPECT_EQ(report["created"], created_ids.size());
    EXPECT_EQ(report["failed"], expected_error.size());
    EXPECT_EQ(
        scalar("SELECT COUNT(*) FROM molecules"), static_cast<std::int64_t>(created_ids.size()) + 1
    );
    EXPECT_EQ(
        scalar("SELECT molecule_count FROM projects"),
        static_cast<std::int64_t>(created_ids.size()) + 1
    );

    // Every stored canonical SMILES is RDKit's.
    const auto sample = ada.send("GET", molecules_path(project_id) + "?limit=200");
    const auto sampled = sample.json();
    for (const auto& item : sampled["items"]) {
        const auto name = item["name"].is_string() ? item["name"].get<std::string>() : "";
        if (!name.starts_with("nci-")) {
            continue;
        }
        const auto index = std::stoul(name.substr(4)) - 1;
        EXPECT_EQ(item["canonical_smiles"], canonical[index]) << smiles[index];
    }

    std::vector<std::string> doomed(created_ids.begin(), std::next(created_ids.begin(), 10));
    doomed.push_back(kMissingId);
    const auto deleted =
        ada.send("DELETE", molecules_path(project_id) + ":bulk", {{"ids", doomed}});
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_EQ(deleted.json()["deleted"].size(), 10U);
    EXPECT_EQ(deleted.json()["not_found"], nlohmann::json::array({kMissingId}));
    EXPECT_EQ(
        scalar("SELECT molecule_count FROM projects"),
        static_cast<std::int64_t>(created_ids.size()) + 1 - 10
    );

    rows.push_back({{"smiles", "C"}});
    EXPECT_EQ(
        ada.send("POST", molecules_path(project_id) + ":bulk", {{"molecules", rows}}).status, 422
    ) << "at most 1,000 rows";
}

TEST_P(Molecules, TwentyConcurrentAddsOfOneStructureGiveOneCreatedAndNineteenConflicts) {
    const auto server = start();
    const auto token = sign_up(server->port(), "race@example.com");
    ApiCaller ada(server->port(), token);
    const auto project_id = project(ada, "Race");
    constexpr int kRacers = 20;
    std::vector<std::future<int>> racers;
    for (int i = 0; i < kRacers; ++i) {
        racers.push_back(std::async(std::launch::async, [&, i] {
            ApiCaller own(server->port(), token);
            // Different spellings of one structure.
            const auto smiles = i % 2 == 0 ? "c1ccccc1O" : "Oc1ccccc1";
            return own.send("POST", molecules_path(project_id), {{"smiles", smiles}}).status;
        }));
    }
    std::map<int, int> statuses;
    for (auto& racer : racers) {
        ++statuses[racer.get()];
    }
    EXPECT_EQ(statuses, (std::map<int, int>{{201, 1}, {409, kRacers - 1}}));
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 1);
}

TEST_P(Molecules, ConcurrentQuotaLimitedInsertsNeverExceedTheQuota) {
    const auto server = start({{"QUOTA_MOLECULES_FREE", "5"}});
    const auto token = sign_up(server->port(), "quota@example.com");
    ApiCaller ada(server->port(), token);
    const auto project_id = project(ada, "Small");
    const auto alkanes = [](int n) { return std::string(static_cast<std::size_t>(n), 'C'); };
    std::vector<std::future<int>> adders;
    for (int i = 1; i <= 12; ++i) {
        adders.push_back(std::async(std::launch::async, [&, i] {
            ApiCaller own(server->port(), token);
            return own.send("POST", molecules_path(project_id), {{"smiles", alkanes(i)}}).status;
        }));
    }
    std::map<int, int> statuses;
    for (auto& adder : adders) {
        ++statuses[adder.get()];
    }
    EXPECT_EQ(statuses, (std::map<int, int>{{201, 5}, {403, 7}}));
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 5);
    const auto refused = ada.send("POST", molecules_path(project_id), {{"smiles", "O"}});
    EXPECT_EQ(
        refused.json()["detail"],
        "Molecule limit reached: the free tier allows 5 molecules per project"
    );
    const auto bulk = ada.send(
        "POST", molecules_path(project_id) + ":bulk", {{"molecules", {{{"smiles", "N"}}}}}
    );
    EXPECT_EQ(bulk.status, 403) << "a bulk add that does not fit inserts nothing";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 5);
}

TEST_P(Molecules, ConcurrentAddsAndProjectDeletesLeaveNoOrphans) {
    const auto server = start();
    const auto token = sign_up(server->port(), "orphans@example.com");
    ApiCaller ada(server->port(), token);
    constexpr int kProjects = 6;
    std::vector<std::string> ids;
    for (int i = 0; i < kProjects; ++i) {
        ids.push_back(project(ada, "Doomed " + std::to_string(i)));
    }
    std::atomic<int> unexpected{0};
    std::vector<std::future<void>> work;
    for (int i = 0; i < kProjects; ++i) {
        work.push_back(std::async(std::launch::async, [&, i] {
            ApiCaller own(server->port(), token);
            for (int n = 1; n <= 6; ++n) {
                const auto status =
                    own.send(
                           "POST",
                           molecules_path(ids[i]),
                           {{"smiles", std::string(static_cast<std::size_t>(n), 'C') + "O"}}
                    ).status;
                if (status != 201 && status != 404) {
                    ++unexpected;
                }
            }
        }));
        work.push_back(std::async(std::launch::async, [&, i] {
            ApiCaller own(server->port(), token);
            if (own.send("DELETE", "/api/v1/projects/" + ids[i]).status != 204) {
                ++unexpected;
            }
        }));
    }
    for (auto& task : work) {
        task.get();
    }
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM projects"), 0);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 0) << "no molecule outlived its project";
}

TEST_P(Molecules, DepictionsAreSvgWithEtagsAndBoundedSizes) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto project_id = project(ada, "Pictures");
    const auto added = ada.send("POST", molecules_path(project_id), {{"smiles", kAspirin}});
    const auto path = molecule_path(added.json()["id"]) + "/depiction.svg";

    const auto svg = ada.send("GET", path + "?width=250&height=200");
    ASSERT_EQ(svg.status, 200) << svg.body;
    EXPECT_EQ(svg.header("Content-Type"), "image/svg+xml");
    EXPECT_NE(svg.body.find("<svg"), std::string::npos);
    EXPECT_NE(svg.body.find("width='250px'"), std::string::npos);
    const auto etag = svg.header("ETag");
    ASSERT_TRUE(etag.has_value());
    const auto cached = ada.send_raw(
        "GET", path + "?width=250&height=200", "", "text/plain", {{"If-None-Match", *etag}}
    );
    EXPECT_EQ(cached.status, 304);
    EXPECT_TRUE(cached.body.empty());
    EXPECT_NE(ada.send("GET", path).header("ETag"), etag) << "another size, another drawing";
    EXPECT_EQ(ada.send("GET", path + "?width=5000").status, 422);
    EXPECT_EQ(ada.send("GET", path + "?height=ten").status, 422);

    const auto depicted = ada.send("GET", "/api/v1/chem/depict?smiles=c1ccccc1O");
    ASSERT_EQ(depicted.status, 200);
    EXPECT_EQ(depicted.header("Content-Type"), "image/svg+xml");
    EXPECT_EQ(
        ada.send("GET", "/api/v1/chem/depict?smiles=Oc1ccccc1").header("ETag"),
        depicted.header("ETag")
    ) << "one structure, one ETag, however it is written";
    EXPECT_EQ(ada.send("GET", "/api/v1/chem/depict?smiles=C1CC").status, 422);
    HttpClient anonymous(server->port());
    EXPECT_EQ(anonymous.get("/api/v1/chem/depict?smiles=C").status, 401);
}

TEST_P(Molecules, ValidateAnswersTheChemistryWithoutStoringAnything) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto valid = ada.send("POST", "/api/v1/chem/validate", {{"smiles", kAspirinSodium}});
    ASSERT_EQ(valid.status, 200) << valid.body;
    EXPECT_EQ(valid.json()["valid"], true);
    EXPECT_EQ(valid.json()["canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)O");
    EXPECT_EQ(valid.json()["input_canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]");
    EXPECT_EQ(valid.json()["inchikey"], "BSYNRYMUTXBXSQ-UHFFFAOYSA-N");
    const auto unstandardized = ada.send(
        "POST", "/api/v1/chem/validate", {{"smiles", kAspirinSodium}, {"standardize", false}}
    );
    EXPECT_EQ(unstandardized.json()["canonical_smiles"], "CC(=O)Oc1ccccc1C(=O)[O-].[Na+]");
    const auto invalid = ada.send("POST", "/api/v1/chem/validate", {{"smiles", "CC(C)(C)(C)(C)C"}});
    ASSERT_EQ(invalid.status, 200);
    EXPECT_EQ(invalid.json()["valid"], false);
    EXPECT_EQ(invalid.json()["errors"][0]["reason"], "valence");
    EXPECT_EQ(invalid.json()["errors"][0]["atom_index"], 1);
    EXPECT_EQ(ada.send("POST", "/api/v1/chem/validate", {{"smiles", "C"}, {"x", 1}}).status, 422);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM molecules"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, Molecules, testing::Values(db::Backend::kSqlite, db::Backend::kPostgres)
);

}  // namespace
}  // namespace molvault::test
