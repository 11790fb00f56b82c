#include "molecules/molecule_file_writer.hpp"

#include <istream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "molecules/molecule_file_reader.hpp"

namespace molvault::molecules {
namespace {

constexpr std::string_view kEthanolBlock =
    "ethanol\n"
    "     RDKit          2D\n"
    "\n"
    "  3  2  0  0  0  0  0  0  0  0999 V2000\n"
    "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
    "    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
    "    2.5981   -0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n"
    "  1  2  1  0\n"
    "  2  3  1  0\n"
    "M  END\n";

// kEthanolBlock less its first line: what every SDF record must keep unchanged.
std::string_view block_body() { return kEthanolBlock.substr(kEthanolBlock.find('\n')); }

MoleculeFileRow ethanol() {
    MoleculeFileRow row;
    row.id = "0b7e3c1e-8f0c-4a57-9a53-7f1c6a1d2b11";
    row.name = "ethanol";
    row.smiles = "OCC";
    row.canonical_smiles = "CCO";
    row.molblock = std::string(kEthanolBlock);
    row.inchi = "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3";
    row.inchikey = "LFQSCWFLJHTTHZ-UHFFFAOYSA-N";
    row.formula = "C2H6O";
    row.average_mass = 46.069;
    row.properties = {{"assay", "IC50 = 3 nM"}, {"empty", ""}};
    return row;
}

std::vector<MoleculeFileReadResult> read_back(std::string_view text, MoleculeFileFormat format) {
    std::istringstream in{std::string(text)};
    MoleculeFileReader reader(in, format);
    std::vector<MoleculeFileReadResult> results;
    while (auto result = reader.next()) {
        results.push_back(std::move(*result));
    }
    return results;
}

// ---- CSV -----------------------------------------------------------------------------------

TEST(MoleculeFileWriterCsv, WritesAFixedHeaderAndPropertiesAsOneJsonCell) {
    std::string out;

    write_molecule_csv_header(out);
    write_molecule_csv_record(ethanol(), out);

    EXPECT_EQ(
        out,
        "molvault_id,name,smiles,canonical_smiles,inchi,inchikey,formula,average_mass,properties"
        "\r\n"
        "0b7e3c1e-8f0c-4a57-9a53-7f1c6a1d2b11,ethanol,OCC,CCO,"
        "\"InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3\",LFQSCWFLJHTTHZ-UHFFFAOYSA-N,C2H6O,46.0690,"
        "\"{\"\"assay\"\":\"\"IC50 = 3 nM\"\",\"\"empty\"\":\"\"\"\"}\"\r\n"
    );
}

TEST(MoleculeFileWriterCsv, QuotesCellsThatNeedIt) {
    struct Case {
        std::string name;
        std::string cell;
    };
    const Case cases[] = {
        {"plain", "plain"},
        {"a, b", "\"a, b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {" padded", "\" padded\""},
        {"padded ", "\"padded \""},
        {"", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto row = MoleculeFileRow{};
        row.name = c.name;
        std::string out;

        write_molecule_csv_record(row, out);

        EXPECT_EQ(out, "," + c.cell + ",,,,,,,\r\n");
    }
}

TEST(MoleculeFileWriterCsv, GuardsEveryCellAgainstSpreadsheetFormulas) {
    struct Case {
        std::string name;
        std::string cell;
    };
    const Case cases[] = {
        {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
        {"+1", "'+1"},
        {"-2", "'-2"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tcmd", "'\tcmd"},
        {"\rcmd", "\"'\rcmd\""},
        {"a=b", "a=b"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto row = MoleculeFileRow{};
        row.name = c.name;
        std::string out;

        write_molecule_csv_record(row, out);

        EXPECT_EQ(out, "," + c.cell + ",,,,,,,\r\n");
    }
}

TEST(MoleculeFileWriterCsv, LeavesValidSmilesAlone) {
    auto row = MoleculeFileRow{};
    row.smiles = "[NH3+]C[C@@H](C(=O)[O-])O";
    row.canonical_smiles = "C=C";
    std::string out;

    write_molecule_csv_record(row, out);

    EXPECT_EQ(out, ",,[NH3+]C[C@@H](C(=O)[O-])O,C=C,,,,,\r\n");
}

TEST(MoleculeFileWriterCsv, LeavesOutFixedFieldNamesAmongProperties) {
    auto row = MoleculeFileRow{};
    row.smiles = "C";
    row.properties = {{"inchikey", "forged"}, {"mw", "16"}};
    std::string out;

    write_molecule_csv_record(row, out);

    EXPECT_EQ(out, ",,C,,,,,,\"{\"\"mw\"\":\"\"16\"\"}\"\r\n");
}

// ---- SDF -----------------------------------------------------------------------------------

TEST(MoleculeFileWriterSdf, PutsTheNameOnTheFirstLineAndAddsDataItems) {
    std::string out;

    auto row = ethanol();
    row.name = "Ethanol, absolute";
    write_molecule_sdf_record(row, out);

    EXPECT_EQ(
        out,
        "Ethanol, absolute" + std::string(block_body()) +
            "> <molvault_id>\n0b7e3c1e-8f0c-4a57-9a53-7f1c6a1d2b11\n\n"
            "> <smiles>\nOCC\n\n"
            "> <canonical_smiles>\nCCO\n\n"
            "> <inchi>\nInChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3\n\n"
            "> <inchikey>\nLFQSCWFLJHTTHZ-UHFFFAOYSA-N\n\n"
            "> <formula>\nC2H6O\n\n"
            "> <average_mass>\n46.0690\n\n"
            "> <assay>\nIC50 = 3 nM\n\n"
            "> <empty>\n\n"
            "$$$$\n"
    );
}

TEST(MoleculeFileWriterSdf, KeepsNamesKeysAndValuesFromBreakingTheRecord) {
    auto row = MoleculeFileRow{};
    row.name = "$$$$ two\r\nlines\tand a tab";
    row.molblock = std::string(kEthanolBlock);
    row.properties = {
        {"a<b>c", "1"},
        {"notes", "first\r\n\r\n  \nsecond\r$$$$ third\n"},
        {"formula", "forged"},
    };
    std::string out;

    write_molecule_sdf_record(row, out);

    EXPECT_EQ(
        out,
        " $$$$ two  lines and a tab" + std::string(block_body()) +
            "> <a_b_c>\n1\n\n"
            "> <notes>\nfirst\nsecond\n $$$$ third\n\n"
            "$$$$\n"
    );
}

TEST(MoleculeFileWriterSdf, EndsAMolBlockThatLacksItsLastLineEnd) {
    auto row = MoleculeFileRow{};
    row.name = "x";
    row.molblock = std::string(kEthanolBlock.substr(0, kEthanolBlock.size() - 1));
    std::string out;

    write_molecule_sdf_record(row, out);

    EXPECT_EQ(out, "x" + std::string(block_body()) + "$$$$\n");
}

// ---- SMILES --------------------------------------------------------------------------------

TEST(MoleculeFileWriterSmiles, WritesCanonicalSmilesAndAOneLineName) {
    auto row = ethanol();
    row.name = " ethyl\talcohol\r\n(absolute) ";
    std::string out;

    write_molecule_smiles_record(row, out);
    row.canonical_smiles.clear();
    row.name.clear();
    write_molecule_smiles_record(row, out);

    EXPECT_EQ(out, "CCO\tethyl alcohol  (absolute)\nOCC\n");
}

TEST(MoleculeFileWriter, WritesToAStreamByFormat) {
    std::ostringstream out;

    write_molecule_file_header(MoleculeFileFormat::kSmiles, out);
    write_molecule_file_record(MoleculeFileFormat::kSmiles, ethanol(), out);
    write_molecule_file_header(MoleculeFileFormat::kSdf, out);

    EXPECT_EQ(out.str(), "CCO\tethanol\n");
}

// ---- round trips ---------------------------------------------------------------------------

std::vector<MoleculeFileRow> tricky_rows() {
    auto first = ethanol();
    auto second = ethanol();
    second.id = "second";
    second.name = "=cmd|' /C calc'!A0, \"quoted\"\nand more";
    second.properties = {
        {"multi", "line one\nline two"},
        {"unicode", "\xCE\xB1-pinene \xE2\x80\x94 50 \xC2\xB5M"},
        {"comma, key", "-3"},
    };
    auto third = ethanol();
    third.id = "third";
    third.name.clear();
    third.properties.clear();
    return {first, second, third};
}

TEST(MoleculeFileRoundTrip, SdfKeepsNamesPropertiesAndTheMolBlock) {
    std::string out;
    for (const auto& row : tricky_rows()) {
        write_molecule_sdf_record(row, out);
    }

    const auto results = read_back(out, MoleculeFileFormat::kSdf);

    const auto rows = tricky_rows();
    ASSERT_EQ(results.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE(i);
        ASSERT_TRUE(results[i]) << results[i].error().message;
        const auto expected_name =
            i == 1 ? "=cmd|' /C calc'!A0, \"quoted\" and more" : rows[i].name;
        EXPECT_EQ(results[i]->name.value_or(""), expected_name);
        EXPECT_TRUE(results[i]->structure.ends_with(block_body()));
        for (const auto& [key, value] : rows[i].properties) {
            EXPECT_EQ(results[i]->properties.at(key), value) << key;
        }
        EXPECT_EQ(results[i]->properties.at("molvault_id"), rows[i].id);
        EXPECT_EQ(results[i]->properties.at("canonical_smiles"), "CCO");
    }
}

TEST(MoleculeFileRoundTrip, CsvKeepsNamesAndProperties) {
    std::string out;
    write_molecule_csv_header(out);
    for (const auto& row : tricky_rows()) {
        write_molecule_csv_record(row, out);
    }

    const auto results = read_back(out, MoleculeFileFormat::kCsv);

    const auto rows = tricky_rows();
    ASSERT_EQ(results.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE(i);
        ASSERT_TRUE(results[i]) << results[i].error().message;
        EXPECT_EQ(results[i]->structure, "OCC");  // the "smiles" column: as entered
        EXPECT_EQ(results[i]->name.value_or(""), rows[i].name);
        auto expected = rows[i].properties;
        expected.emplace("molvault_id", rows[i].id);
        expected.emplace("canonical_smiles", "CCO");
        expected.emplace("inchi", rows[i].inchi);
        expected.emplace("inchikey", rows[i].inchikey);
        expected.emplace("formula", rows[i].formula);
        expected.emplace("average_mass", "46.0690");
        EXPECT_EQ(results[i]->properties, expected);
    }
}

TEST(MoleculeFileRoundTrip, SmilesKeepsTheName) {
    std::string out;
    for (const auto& row : tricky_rows()) {
        write_molecule_smiles_record(row, out);
    }

    const auto results = read_back(out, MoleculeFileFormat::kSmiles);

    ASSERT_EQ(results.size(), 3U);
    EXPECT_EQ(results[0]->name, "ethanol");
    EXPECT_EQ(results[1]->name, "=cmd|' /C calc'!A0, \"quoted\" and more");
    EXPECT_EQ(results[2]->name, std::nullopt);
    for (const auto& result : results) {
        EXPECT_EQ(result->structure, "CCO");
    }
}

}  // namespace
}  // namespace molvault::molecules
