// Import and export of molecule files end to end: the real binary over HTTP (and `molvault
// import`), on SQLite and on PostgreSQL, with real molecules: the first 10,000 of ZINC250k from
// ../shared/data when it is beside the checkout (as in CI), else the NCI set of Debian's
// rdkit-data.
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
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
constexpr std::size_t kRoundTripSize = 10'000;

struct NamedSmiles {
    std::string smiles;
    std::string name;
};

// Lines "SMILES<TAB>name" of a command's output.
std::vector<NamedSmiles> read_pairs(const std::string& command, std::size_t limit) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::vector<NamedSmiles> pairs;
    std::array<char, 4096> buffer{};
    while (pairs.size() < limit && fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) {
        std::string line(buffer.data());
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        const auto tab = line.find('\t');
        pairs.push_back({line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1)}
        );
    }
    return pairs;
}

// name → canonical SMILES of each record of an SD file, as RDKit itself (python3-rdkit, the
// same build; Debian's interpreter by path) reads it back.
// A fresh directory per call: the backends' instances of a test run in parallel.
std::map<std::string, std::string> rdkit_reads_sdf(const std::string& sdf) {
    const TempDir temp;
    const auto& dir = temp.path();
    const auto file = dir / "molvault_roundtrip.sdf";
    std::ofstream(file, std::ios::binary) << sdf;
    const auto script = dir / "molvault_roundtrip.py";
    std::ofstream(script) << "import sys\nfrom rdkit import Chem, RDLogger\n"
                             "RDLogger.DisableLog('rdApp.*')\n"
                             "for m in Chem.SDMolSupplier(sys.argv[1]):\n"
                             "    print(Chem.MolToSmiles(m) + '\\t' + m.GetProp('_Name'))\n";
    std::map<std::string, std::string> read;
    for (const auto& [smiles, name] :
         read_pairs("/usr/bin/python3 " + script.string() + " " + file.string(), SIZE_MAX)) {
        read[name] = smiles;
    }
    return read;
}

std::vector<NamedSmiles> real_molecules() {
    const auto zinc =
        std::filesystem::path(MOLVAULT_SOURCE_DIR) / ".." / "shared" / "data" / "zinc250k.smi.gz";
    if (std::filesystem::exists(zinc)) {
        return read_pairs("gzip -dc " + zinc.string(), kRoundTripSize);
    }
    return read_pairs(std::string("cat ") + kNciSet, kRoundTripSize);
}

std::string smiles_file(const std::vector<NamedSmiles>& molecules) {
    std::string text = "# real molecules\n";
    for (const auto& [smiles, name] : molecules) {
        text += smiles + "\t" + name + "\n";
    }
    return text;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++count;
    }
    return count;
}

// The servers keep the default HTTP_MAX_BODY_BYTES (1 MiB): uploads stream past it, up to
// IMPORT_MAX_BYTES.
class MoleculeFiles : public BackendTest {
public:
    // The settings of `start()`, for running the command line against the same database.
    EnvMap environment() {
        return {
            {"DATABASE_URL", database_->url()},
            {"RATE_LIMIT_ENABLED", "false"},
        };
    }

    static std::string project(ApiCaller& who, const std::string& name) {
        const auto created =
            who.send("POST", "/api/v1/projects", {{"name", name}, {"standardize", false}});
        EXPECT_EQ(created.status, 201) << created.body;
        return created.json()["id"];
    }

    static std::string files_path(const std::string& project, const std::string& action) {
        return "/api/v1/projects/" + project + "/molecules:" + action;
    }

    // name → canonical SMILES of every molecule in the project, through the listing.
    static std::map<std::string, std::string> contents(ApiCaller& who, const std::string& id) {
        std::map<std::string, std::string> found;
        std::string query = "?limit=200";
        while (true) {
            const auto page = who.send("GET", "/api/v1/projects/" + id + "/molecules" + query);
            EXPECT_EQ(page.status, 200);
            const auto body = page.json();
            for (const auto& item : body["items"]) {
                found[item["name"].is_string() ? item["name"].get<std::string>() : ""] =
                    item["canonical_smiles"];
            }
            if (body["next_cursor"].is_null()) {
                return found;
            }
            query = "?limit=200&cursor=" + body["next_cursor"].get<std::string>();
        }
    }
};

// Imports `molecules` as a SMILES file into a new project; returns the project's id and checks
// the per-record report.
std::string import_smiles(
    ApiCaller& who, const std::string& name, const std::vector<NamedSmiles>& molecules
) {
    const auto id = MoleculeFiles::project(who, name);
    const auto imported = who.send_raw(
        "POST",
        MoleculeFiles::files_path(id, "import"),
        smiles_file(molecules),
        "chemical/x-daylight-smiles"
    );
    EXPECT_EQ(imported.status, 200) << imported.body.substr(0, 300);
    const auto report = imported.json();
    EXPECT_EQ(report["items"].size(), molecules.size()) << "one report row per record";
    EXPECT_EQ(report["complete"], true);
    EXPECT_EQ(report["items"][0]["record"], 1);
    EXPECT_EQ(report["items"][0]["line"], 2) << "the comment line counts";
    for (const auto& item : report["items"]) {
        if (item["status"] != "created") {
            // Only the NCI set repeats structures; ZINC250k has none.
            EXPECT_EQ(item["error"]["code"], "duplicate_in_batch") << item.dump();
        }
    }
    return id;
}

// Exports the project in `format`, imports the file into a new project and checks that every
// structure and name came back.
void round_trip(ApiCaller& who, const std::string& source, const std::string& format) {
    const auto original = MoleculeFiles::contents(who, source);
    const auto exported =
        who.send("GET", MoleculeFiles::files_path(source, "export") + "?format=" + format);
    ASSERT_EQ(exported.status, 200) << format;
    EXPECT_NE(
        exported.header("Content-Disposition")->find("attachment; filename=\""), std::string::npos
    );
    auto expected = original;
    if (format == "sdf") {
        EXPECT_EQ(exported.header("Content-Type"), "chemical/x-mdl-sdfile");
        EXPECT_EQ(count_of(exported.body, "$$$$\n"), original.size());
        // A MOL block carries stereo as wedges and coordinates, and RDKit reads a very few back
        // differently from the SMILES they came from (in ZINC250k's first 10,000, one exocyclic
        // double bond next to a bridged ring gains E/Z). Those must come back as RDKit itself
        // reads the exported file, and must stay rare.
        expected = rdkit_reads_sdf(exported.body);
        std::size_t changed = 0;
        for (const auto& [name, smiles] : expected) {
            changed += original.at(name) != smiles ? 1 : 0;
        }
        EXPECT_LE(changed * 1'000, original.size()) << "at most one in a thousand";
    }
    const auto copy = MoleculeFiles::project(who, "Copy via " + format);
    const auto reimported = who.send_raw(
        "POST",
        MoleculeFiles::files_path(copy, "import") + "?format=" + format,
        exported.body,
        "application/octet-stream"
    );
    ASSERT_EQ(reimported.status, 200) << format;
    EXPECT_EQ(reimported.json()["created"], original.size()) << format;
    EXPECT_EQ(reimported.json()["failed"], 0) << format;
    EXPECT_EQ(MoleculeFiles::contents(who, copy), expected)
        << format << ": every structure and name came back unchanged";
}

TEST_P(MoleculeFiles, TenThousandRealMoleculesRoundTripThroughSdf) {
    const auto server = start();
    ApiCaller ada(server->port(), sign_up(server->port(), "ada@example.com"));
    const auto molecules = real_molecules();
    ASSERT_GE(molecules.size(), 4'000U);
    round_trip(ada, import_smiles(ada, "Source", molecules), "sdf");
}

TEST_P(MoleculeFiles, RealMoleculesRoundTripThroughCsvAndSmiles) {
    const auto server = start();
    ApiCaller ada(server->port(), sign_up(server->port(), "ada@example.com"));
    auto molecules = real_molecules();
    molecules.resize(1'000);
    const auto source = import_smiles(ada, "Source", molecules);
    round_trip(ada, source, "csv");
    round_trip(ada, source, "smiles");
}

TEST_P(MoleculeFiles, ImportReportsBadRecordsAndRefusesUnknownFormats) {
    const auto server = start();
    ApiCaller ada(server->port(), sign_up(server->port(), "ada@example.com"));
    ApiCaller eve(server->port(), sign_up(server->port(), "eve@example.com"));
    const auto id = project(ada, "Mixed");

    const std::string csv =
        "name,smiles,assay\r\n"
        "ethanol,CCO,12\r\n"
        "\"bad, very\",C1CC(,3\r\n"
        "\"=HYPERLINK(\"\"x\"\")\",c1ccccc1,\"multi\nline\"\r\n"
        "ethanol again,OCC,4\r\n";
    const auto imported = ada.send_raw("POST", files_path(id, "import"), csv, "text/csv");
    ASSERT_EQ(imported.status, 200) << imported.body;
    const auto report = imported.json();
    ASSERT_EQ(report["items"].size(), 4U);
    EXPECT_EQ(report["items"][0]["status"], "created");
    EXPECT_EQ(report["items"][1]["error"]["code"], "invalid_structure");
    EXPECT_EQ(report["items"][1]["error"]["reason"], "syntax");
    EXPECT_EQ(report["items"][1]["line"], 3);
    EXPECT_EQ(report["items"][2]["status"], "created");
    EXPECT_EQ(report["items"][3]["error"]["code"], "duplicate_in_batch");
    EXPECT_EQ(report["created"], 2);
    EXPECT_EQ(report["failed"], 2);

    const auto listed = ada.send("GET", "/api/v1/projects/" + id + "/molecules?sort=name").json();
    ASSERT_EQ(listed["items"].size(), 2U);
    EXPECT_EQ(listed["items"][0]["name"], "=HYPERLINK(\"x\")");
    EXPECT_EQ(listed["items"][0]["properties"], (nlohmann::json{{"assay", "multi\nline"}}));
    EXPECT_EQ(listed["items"][1]["name"], "ethanol");
    EXPECT_EQ(listed["items"][1]["properties"], (nlohmann::json{{"assay", "12"}}));

    const auto exported = ada.send("GET", files_path(id, "export") + "?format=csv");
    ASSERT_EQ(exported.status, 200);
    EXPECT_EQ(exported.header("Content-Type"), "text/csv");
    EXPECT_NE(exported.body.find("'=HYPERLINK"), std::string::npos)
        << "a spreadsheet must not read a name as a formula";

    const auto headerless = ada.send_raw("POST", files_path(id, "import"), "CCO\n", "text/csv");
    ASSERT_EQ(headerless.status, 200);
    EXPECT_EQ(headerless.json()["items"][0]["error"]["code"], "invalid_record");
    EXPECT_EQ(headerless.json()["created"], 0);

    EXPECT_EQ(ada.send_raw("POST", files_path(id, "import"), "CCO", "text/plain").status, 415);
    EXPECT_EQ(
        ada.send_raw("POST", files_path(id, "import") + "?format=pdb", "CCO", "text/plain").status,
        422
    );
    EXPECT_EQ(ada.send("GET", files_path(id, "export") + "?format=xlsx").status, 422);
    EXPECT_EQ(
        eve.send_raw("POST", files_path(id, "import"), "CCO\n", "chemical/x-daylight-smiles")
            .status,
        404
    );
    EXPECT_EQ(eve.send("GET", files_path(id, "export")).status, 404);
    EXPECT_EQ(ada.send("GET", "/api/v1/projects/" + id + "/molecules").json()["items"].size(), 2U);
}

TEST_P(MoleculeFiles, TheImportCommandAddsAFileOnTheOwnersBehalf) {
    const auto server = start();
    ApiCaller ada(server->port(), sign_up(server->port(), "ada@example.com"));
    const auto id = project(ada, "From the shell");
    TempDir dir;
    const auto path = dir.path() / "nci.smi";
    {
        std::ofstream out(path);
        std::ifstream nci(kNciSet);
        std::string line;
        for (int i = 0; i < 200 && std::getline(nci, line); ++i) {
            out << line << '\n';
        }
        out << "not_a_smiles((\tbroken\n";
    }
    const auto env = base_environment(dir.path(), environment());
    const auto result = run_molvault({"import", "--project", id, path.string()}, env);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("Imported 200 molecule(s); 1 record(s) failed"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("record 201 (line 201)"), std::string::npos) << result.output;
    EXPECT_EQ(contents(ada, id).size(), 200U);

    const auto missing = run_molvault(
        {"import", "--project", "00000000-0000-4000-8000-000000000000", path.string()}, env
    );
    EXPECT_EQ(missing.exit_code, 1);
    const auto unknown_format = run_molvault({"import", "--project", id, "/etc/hostname"}, env);
    EXPECT_EQ(unknown_format.exit_code, 1);
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, MoleculeFiles, testing::Values(db::Backend::kSqlite, db::Backend::kPostgres)
);

}  // namespace
}  // namespace molvault::test
