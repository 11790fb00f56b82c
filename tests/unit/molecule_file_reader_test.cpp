#include "molecules/molecule_file_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace molvault::molecules {
namespace {

std::vector<MoleculeFileReadResult> read_all(
    std::string_view text, MoleculeFileFormat format, MoleculeFileLimits limits = {}
) {
    std::istringstream in{std::string(text)};
    MoleculeFileReader reader(in, format, limits);
    std::vector<MoleculeFileReadResult> results;
    while (auto result = reader.next()) {
        results.push_back(std::move(*result));
    }
    return results;
}

// The error message of a result that must be an error, or a note saying it was a record.
std::string error_of(const MoleculeFileReadResult& result) {
    return result ? "(a record)" : result.error().message;
}

std::string molblock(std::string_view name) {
    return std::string(name) +
           "\n"
           "     RDKit          2D\n"
           "\n"
           "  2  1  0  0  0  0  0  0  0  0999 V2000\n"
           "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
           "    1.2990    0.7500    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n"
           "  1  2  1  0\n"
           "M  END\n";
}

std::string crlf(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\n') {
            out.push_back('\r');
        }
        out.push_back(c);
    }
    return out;
}

// ---- SMILES --------------------------------------------------------------------------------

TEST(MoleculeFileReaderSmiles, ReadsSmilesWithNamesAfterTabsOrSpaces) {
    const auto results =
        read_all("CCO ethanol\nc1ccccc1\t benzene  ring \t\nC\n", MoleculeFileFormat::kSmiles);

    ASSERT_EQ(results.size(), 3U);
    EXPECT_EQ(results[0]->structure, "CCO");
    EXPECT_EQ(results[0]->kind, MoleculeStructureKind::kSmiles);
    EXPECT_EQ(results[0]->name, "ethanol");
    EXPECT_EQ(results[1]->structure, "c1ccccc1");
    EXPECT_EQ(results[1]->name, "benzene  ring");
    EXPECT_EQ(results[2]->structure, "C");
    EXPECT_EQ(results[2]->name, std::nullopt);
    EXPECT_TRUE(results[2]->properties.empty());
}

TEST(MoleculeFileReaderSmiles, SkipsCommentsBlankLinesAndAHeaderButCountsTheirLines) {
    const auto results = read_all(
        "# made by hand\n\nSMILES\tName\nCCO a\n   \n# more\nCC\n", MoleculeFileFormat::kSmiles
    );

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->record_number, 1U);
    EXPECT_EQ(results[0]->line_number, 4U);
    EXPECT_EQ(results[1]->record_number, 2U);
    EXPECT_EQ(results[1]->line_number, 7U);
}

TEST(MoleculeFileReaderSmiles, TakesOnlyTheFirstDataLineAsAHeader) {
    const auto results = read_all("smiles name\nCCO\nsmiles again\n", MoleculeFileFormat::kSmiles);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->structure, "CCO");
    EXPECT_EQ(results[1]->structure, "smiles");  // chem/ will refuse it, the reader need not
}

TEST(MoleculeFileReaderSmiles, ToleratesAByteOrderMarkAndCrlf) {
    const auto results = read_all(
        "\xEF\xBB\xBF"
        "CCO\tethanol\r\nCC\r\n",
        MoleculeFileFormat::kSmiles
    );

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->structure, "CCO");
    EXPECT_EQ(results[0]->name, "ethanol");
    EXPECT_EQ(results[1]->structure, "CC");
}

TEST(MoleculeFileReaderSmiles, ReportsEachBadLineAndGoesOn) {
    const std::string text = "CCO ok\n" + std::string(10'001, 'C') +
                             " long\n"
                             "C\x01O control\n"
                             "CC bad\xFFname\n"
                             "CCC last";

    const auto results = read_all(text, MoleculeFileFormat::kSmiles);

    ASSERT_EQ(results.size(), 5U);
    EXPECT_TRUE(results[0]);
    EXPECT_EQ(error_of(results[1]), "the SMILES is longer than 10000 bytes");
    EXPECT_EQ(results[1].error().record_number, 2U);
    EXPECT_EQ(results[1].error().line_number, 2U);
    EXPECT_FALSE(results[1].error().ends_reading);
    EXPECT_EQ(error_of(results[2]), "the SMILES contains a character that is not printable ASCII");
    EXPECT_EQ(error_of(results[3]), "the name is not valid UTF-8 text");
    ASSERT_TRUE(results[4]);
    EXPECT_EQ(results[4]->structure, "CCC");
    EXPECT_EQ(results[4]->record_number, 5U);
    EXPECT_EQ(results[4]->line_number, 5U);
}

TEST(MoleculeFileReaderSmiles, ReportsALineLongerThanARecordWithoutKeepingIt) {
    MoleculeFileLimits limits;
    limits.max_record_bytes = 100;
    const auto text = std::string(5'000, 'C') + "\nCCO\n";

    const auto results = read_all(text, MoleculeFileFormat::kSmiles, limits);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(error_of(results[0]), "a line is longer than 100 bytes");
    ASSERT_TRUE(results[1]);
    EXPECT_EQ(results[1]->structure, "CCO");
    EXPECT_EQ(results[1]->line_number, 2U);
}

TEST(MoleculeFileReader, FindsNoRecordsInEmptyInput) {
    for (const auto format :
         {MoleculeFileFormat::kSdf, MoleculeFileFormat::kSmiles, MoleculeFileFormat::kCsv}) {
        EXPECT_TRUE(read_all("", format).empty());
        EXPECT_TRUE(read_all("\xEF\xBB\xBF", format).empty());
    }
}

// ---- SDF -----------------------------------------------------------------------------------

TEST(MoleculeFileReaderSdf, ReadsTheMolBlockNameAndDataItems) {
    const auto text = molblock("  ethanol  ") +
                      "> <MW>\n46.07\n\n"
                      ">  <Note>  (1) \nline one\nline two\n\n"
                      "> 25 <empty> (x)\n\n"
                      "$$$$\n";

    const auto results = read_all(text, MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 1U);
    ASSERT_TRUE(results[0]);
    EXPECT_EQ(results[0]->kind, MoleculeStructureKind::kMolBlock);
    EXPECT_EQ(results[0]->structure, molblock("  ethanol  "));
    EXPECT_EQ(results[0]->name, "ethanol");
    EXPECT_EQ(results[0]->line_number, 1U);
    const MoleculeProperties expected = {
        {"MW", "46.07"}, {"Note", "line one\nline two"}, {"empty", ""}};
    EXPECT_EQ(results[0]->properties, expected);
}

TEST(MoleculeFileReaderSdf, ReadsCrlfWithoutAFinalTerminatorAndIgnoresTrailingBlankLines) {
    const auto text =
        crlf(molblock("first") + "> <a>\n1\n\n$$$$\n" + molblock("") + "> <b>\n2\n\n\n \n");

    const auto results = read_all(text, MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->structure, molblock("first"));
    EXPECT_EQ(results[0]->properties.at("a"), "1");
    EXPECT_EQ(results[1]->name, std::nullopt);
    EXPECT_EQ(results[1]->structure, molblock(""));
    EXPECT_EQ(results[1]->properties.at("b"), "2");
    EXPECT_EQ(results[1]->line_number, 13U);
}

TEST(MoleculeFileReaderSdf, IgnoresBlankLinesAfterTheLastTerminator) {
    const auto results = read_all(molblock("only") + "$$$$\n\n  \n\t\n", MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0]->name, "only");
}

TEST(MoleculeFileReaderSdf, ReadsAV3000Block) {
    const std::string v3000 =
        "methanol\n"
        "  molvault\n"
        "\n"
        "  0  0  0     0  0            999 V3000\n"
        "M  V30 BEGIN CTAB\n"
        "M  V30 COUNTS 2 1 0 0 0\n"
        "M  V30 BEGIN ATOM\n"
        "M  V30 1 C 0 0 0 0\n"
        "M  V30 2 O 1.3 0.75 0 0\n"
        "M  V30 END ATOM\n"
        "M  V30 BEGIN BOND\n"
        "M  V30 1 1 1 2\n"
        "M  V30 END BOND\n"
        "M  V30 END CTAB\n"
        "M  END\n";

    const auto results = read_all(v3000 + "> <id>\n7\n\n$$$$\n", MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 1U);
    ASSERT_TRUE(results[0]);
    EXPECT_EQ(results[0]->structure, v3000);
    EXPECT_EQ(results[0]->name, "methanol");
    EXPECT_EQ(results[0]->properties.at("id"), "7");
}

TEST(MoleculeFileReaderSdf, ReportsARecordWithoutMEndAndReadsTheNext) {
    const auto text = std::string("broken\n  x\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n") +
                      "> <a>\n1\n\n$$$$\n" + molblock("good") + "$$$$\n";

    const auto results = read_all(text, MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(error_of(results[0]), "the SDF record has no \"M  END\" line");
    EXPECT_EQ(results[0].error().record_number, 1U);
    EXPECT_EQ(results[0].error().line_number, 1U);
    ASSERT_TRUE(results[1]);
    EXPECT_EQ(results[1]->name, "good");
    EXPECT_EQ(results[1]->record_number, 2U);
    EXPECT_EQ(results[1]->line_number, 9U);
}

TEST(MoleculeFileReaderSdf, TakesANameThatLooksLikeMEndAsAName) {
    const auto results = read_all(molblock("M  END"), MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 1U);
    ASSERT_TRUE(results[0]);
    EXPECT_EQ(results[0]->name, "M  END");
    EXPECT_EQ(results[0]->structure, molblock("M  END"));
}

TEST(MoleculeFileReaderSdf, ReportsBadDataItemsPerRecord) {
    struct Case {
        std::string data;
        std::string message;
    };
    MoleculeFileLimits limits;
    limits.max_properties = 2;
    limits.max_property_value_bytes = 10;
    const Case cases[] = {
        {"> <a>\n1\n\n> <a>\n2\n\n", "property 'a' is given twice"},
        {"> <a>\n1\n\n> <b>\n2\n\n> <c>\n3\n\n", "the record has more than 2 properties"},
        {"> <a>\n12345\n67890\n\n", "property 'a' is longer than 10 bytes"},
        {"> <>\n1\n\n", "a property has an empty name"},
        {"> <a>\nbad \xC3\x28\n\n", "property 'a' is not valid UTF-8 text"},
        {"> 12\n1\n\n", "the data item header on line 9 has no <name>"},
        {"> <" + std::string(101, 'k') + ">\n1\n\n", "a property name is longer than 100 bytes"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.message);
        const auto text = molblock("m") + c.data + "$$$$\n" + molblock("next") + "$$$$\n";

        const auto results = read_all(text, MoleculeFileFormat::kSdf, limits);

        ASSERT_EQ(results.size(), 2U);
        EXPECT_EQ(error_of(results[0]), c.message);
        ASSERT_TRUE(results[1]);
        EXPECT_EQ(results[1]->name, "next");
    }
}

TEST(MoleculeFileReaderSdf, EndsAValueAtTheRecordTerminator) {
    const auto text = molblock("a") + "> <k>\nv\n$$$$\n" + molblock("b") + "$$$$\n";

    const auto results = read_all(text, MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->properties.at("k"), "v");
    EXPECT_EQ(results[1]->name, "b");
}

TEST(MoleculeFileReaderSdf, ReportsAnOverlongMolBlockAndReadsTheNext) {
    MoleculeFileLimits limits;
    limits.max_record_bytes = 1'000;
    std::string huge = "big\n  x\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\n";
    for (int i = 0; i < 100; ++i) {
        huge += "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n";
    }
    huge += "M  END\n$$$$\n";

    const auto results =
        read_all(huge + molblock("small") + "$$$$\n", MoleculeFileFormat::kSdf, limits);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(error_of(results[0]), "the MOL block is longer than 1000 bytes");
    ASSERT_TRUE(results[1]);
    EXPECT_EQ(results[1]->name, "small");
}

TEST(MoleculeFileReaderSdf, RefusesControlCharactersInTheMolBlock) {
    auto block = molblock("nul");
    block[block.find("RDKit")] = '\0';

    const auto results = read_all(block + "$$$$\n", MoleculeFileFormat::kSdf);

    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(
        error_of(results[0]), "the MOL block has a control character or is not valid UTF-8 text"
    );
}

// ---- CSV -----------------------------------------------------------------------------------

TEST(MoleculeFileReaderCsv, ReadsQuotedFieldsDoubledQuotesAndEmbeddedNewlines) {
    const std::string text =
        "\xEF\xBB\xBF"
        "SMILES,Name,note,MW\r\n"
        "CCO,ethanol,\"says \"\"hi\"\", then\r\nleaves\",46.07\r\n"
        "\"c1ccccc1\",\"benzene, the ring\",,78\r\n"
        "C,,\"\",\r\n";

    const auto results = read_all(text, MoleculeFileFormat::kCsv);

    ASSERT_EQ(results.size(), 3U);
    ASSERT_TRUE(results[0]);
    EXPECT_EQ(results[0]->structure, "CCO");
    EXPECT_EQ(results[0]->name, "ethanol");
    EXPECT_EQ(results[0]->line_number, 2U);
    const MoleculeProperties first = {{"MW", "46.07"}, {"note", "says \"hi\", then\nleaves"}};
    EXPECT_EQ(results[0]->properties, first);
    ASSERT_TRUE(results[1]);
    EXPECT_EQ(results[1]->structure, "c1ccccc1");
    EXPECT_EQ(results[1]->name, "benzene, the ring");
    EXPECT_EQ(results[1]->line_number, 4U);
    EXPECT_EQ(results[1]->properties, (MoleculeProperties{{"MW", "78"}}));
    ASSERT_TRUE(results[2]);
    EXPECT_EQ(results[2]->name, std::nullopt);
    EXPECT_TRUE(results[2]->properties.empty());
    EXPECT_EQ(results[2]->record_number, 3U);
}

TEST(MoleculeFileReaderCsv, FallsBackToCanonicalSmilesAndPrefersSmiles) {
    const auto only_canonical = read_all("id,canonical_smiles\n1,CCO\n", MoleculeFileFormat::kCsv);
    const auto both = read_all("canonical_smiles,smiles\nOCC,CCO\n", MoleculeFileFormat::kCsv);

    ASSERT_EQ(only_canonical.size(), 1U);
    EXPECT_EQ(only_canonical[0]->structure, "CCO");
    EXPECT_EQ(only_canonical[0]->properties, (MoleculeProperties{{"id", "1"}}));
    ASSERT_EQ(both.size(), 1U);
    EXPECT_EQ(both[0]->structure, "CCO");
    EXPECT_EQ(both[0]->properties, (MoleculeProperties{{"canonical_smiles", "OCC"}}));
}

TEST(MoleculeFileReaderCsv, EndsReadingOnceWhenTheHeaderIsUnusable) {
    struct Case {
        std::string text;
        std::string message;
    };
    const Case cases[] = {
        {"structure,name\nCCO,a\n",
         "the CSV header has no 'smiles' column (nor 'canonical_smiles')"},
        {"smiles,mw,mw\nCCO,1,2\n", "the CSV header names column 'mw' twice"},
        {"Smiles,SMILES\nCCO,CC\n", "the CSV header names column 'SMILES' twice"},
        {"smiles,\"name\nCCO,a\n",
         "the CSV header row is malformed: a quoted field is not closed before the end of the "
         "file"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const auto results = read_all(c.text, MoleculeFileFormat::kCsv);

        ASSERT_EQ(results.size(), 1U);
        EXPECT_EQ(error_of(results[0]), c.message);
        EXPECT_TRUE(results[0].error().ends_reading);
    }
}

TEST(MoleculeFileReaderCsv, ReportsMalformedRowsAndGoesOn) {
    const std::string text =
        "smiles,name\n"
        "\"CCO\"x,a\n"
        "CC\"O,b\n"
        "CCC,c,extra\n"
        ",no smiles\n"
        "C\n"
        "CCCC,\"open\n"
        "quote";

    const auto results = read_all(text, MoleculeFileFormat::kCsv);

    ASSERT_EQ(results.size(), 6U);
    EXPECT_EQ(error_of(results[0]), "a quoted field has text after its closing quote");
    EXPECT_EQ(results[0].error().line_number, 2U);
    EXPECT_EQ(error_of(results[1]), "a field has a quote but does not start with one");
    EXPECT_EQ(error_of(results[2]), "the row has 3 fields but the header has 2");
    EXPECT_EQ(error_of(results[3]), "the record has no SMILES");
    ASSERT_TRUE(results[4]);  // a short row: the missing cells are empty
    EXPECT_EQ(results[4]->structure, "C");
    EXPECT_EQ(results[4]->record_number, 5U);
    EXPECT_EQ(error_of(results[5]), "a quoted field is not closed before the end of the file");
    EXPECT_EQ(results[5].error().line_number, 7U);
}

TEST(MoleculeFileReaderCsv, ReportsAnOverlongRowAndResumesAfterIt) {
    MoleculeFileLimits limits;
    limits.max_record_bytes = 50;
    const auto text =
        "smiles,note\nC,\"" + std::string(30, 'x') + "\n" + std::string(30, 'y') + "\"\nCCO,fine\n";

    const auto results = read_all(text, MoleculeFileFormat::kCsv, limits);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(error_of(results[0]), "the row is longer than 50 bytes");
    ASSERT_TRUE(results[1]);
    EXPECT_EQ(results[1]->structure, "CCO");
    EXPECT_EQ(results[1]->line_number, 4U);
}

TEST(MoleculeFileReaderCsv, UnpacksThePropertiesColumnAndRefusesOtherText) {
    const std::string text =
        "smiles,properties,mw\n"
        "CCO,\"{\"\"assay\"\":\"\"IC50 = 3 nM\"\",\"\"empty\"\":\"\"\"\"}\",46\n"
        "CC,not json,\n"
        "CCC,\"{\"\"n\"\":3}\",\n"
        "CCCC,\"{\"\"mw\"\":\"\"1\"\"}\",2\n";

    const auto results = read_all(text, MoleculeFileFormat::kCsv);

    ASSERT_EQ(results.size(), 4U);
    ASSERT_TRUE(results[0]);
    const MoleculeProperties expected = {{"assay", "IC50 = 3 nM"}, {"empty", ""}, {"mw", "46"}};
    EXPECT_EQ(results[0]->properties, expected);
    EXPECT_EQ(
        error_of(results[1]),
        "column 'properties' must hold a JSON object (rename the column to import it as a plain "
        "property)"
    );
    EXPECT_EQ(error_of(results[2]), "property 'n' in column 'properties' is not a string");
    EXPECT_EQ(error_of(results[3]), "property 'mw' is given twice");
}

TEST(MoleculeFileReaderCsv, RemovesTheWritersFormulaGuard) {
    const auto results =
        read_all("smiles,name,note\nCCO,'=SUM(A1),'-5\nCC,'plain,'\n", MoleculeFileFormat::kCsv);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(results[0]->name, "=SUM(A1)");
    EXPECT_EQ(results[0]->properties.at("note"), "-5");
    EXPECT_EQ(results[1]->name, "'plain");
    EXPECT_EQ(results[1]->properties.at("note"), "'");
}

TEST(MoleculeFileReaderCsv, IgnoresUnnamedColumnsAndBlankLines) {
    const auto results = read_all("\n,smiles\n\n0,CCO\n\r\n1,CC\n", MoleculeFileFormat::kCsv);

    ASSERT_EQ(results.size(), 2U);
    EXPECT_TRUE(results[0]->properties.empty());
    EXPECT_EQ(results[0]->line_number, 4U);
    EXPECT_EQ(results[1]->structure, "CC");
}

// ---- any input -----------------------------------------------------------------------------

TEST(MoleculeFileReader, SurvivesBinaryGarbage) {
    std::string garbage;
    std::uint32_t state = 12345;
    for (int i = 0; i < 200'000; ++i) {
        state = state * 1'664'525U + 1'013'904'223U;  // a fixed LCG: the same bytes every run
        garbage.push_back(static_cast<char>(state >> 24U));
    }
    for (const auto format :
         {MoleculeFileFormat::kSdf, MoleculeFileFormat::kSmiles, MoleculeFileFormat::kCsv}) {
        const auto results = read_all(garbage, format);

        for (const auto& result : results) {
            if (result) {
                EXPECT_TRUE(std::all_of(
                    result->structure.begin(),
                    result->structure.end(),
                    [](char c) { return c != '\0'; }
                ));
            }
        }
        EXPECT_LE(results.size(), garbage.size());
    }
}

// A stream whose streambuf serves "CCO\n" lines and then throws, which std::istream turns into
// badbit. std::istream::read keeps nothing of a read that threw, so the reader sees exactly its
// first 64 KiB chunk and then the failure.
class FailingStreambuf : public std::streambuf {
public:
    static constexpr std::size_t kFailAfterBytes = 100'000;

protected:
    int_type underflow() override {
        if (served_ >= kFailAfterBytes) {
            throw std::runtime_error("disk on fire");
        }
        served_ += line_.size();
        setg(line_.data(), line_.data(), line_.data() + line_.size());
        return traits_type::to_int_type(line_.front());
    }

private:
    std::string line_ = "CCO\n";
    std::size_t served_ = 0;
};

TEST(MoleculeFileReader, EndsWithAnErrorWhenTheStreamFails) {
    FailingStreambuf buffer;
    std::istream in(&buffer);
    MoleculeFileReader reader(in, MoleculeFileFormat::kSmiles);

    std::vector<MoleculeFileReadResult> results;
    while (auto result = reader.next()) {
        results.push_back(std::move(*result));
    }

    ASSERT_EQ(results.size(), 64U * 1024U / 4U + 1U);
    EXPECT_TRUE(std::all_of(results.begin(), results.end() - 1, [](const auto& r) {
        return r.has_value();
    }));
    EXPECT_EQ(error_of(results.back()), "the input could not be read");
    EXPECT_TRUE(results.back().error().ends_reading);
}

TEST(MoleculeFileReader, EndsWithAnErrorForAFileThatDidNotOpen) {
    std::ifstream missing("/nonexistent/molecules.smi");
    MoleculeFileReader reader(missing, MoleculeFileFormat::kSmiles);

    const auto result = reader.next();

    ASSERT_TRUE(result && !*result);
    EXPECT_TRUE(result->error().ends_reading);
    EXPECT_FALSE(reader.next());
}

// Serves `lines` generated SMILES lines on demand, one line at a time, and remembers how many
// bytes it has handed out, so a test can see how far ahead of its records a reader has read.
class GeneratedSmilesStreambuf : public std::streambuf {
public:
    explicit GeneratedSmilesStreambuf(std::size_t lines) : lines_(lines) {}

    [[nodiscard]] std::size_t bytes_served() const { return bytes_served_; }
    static std::string line(std::size_t index) {
        return "CC(C)C" + std::string(index % 7, 'C') + "O\tmolecule-" + std::to_string(index + 1) +
               "\n";
    }

protected:
    int_type underflow() override {
        if (next_ == lines_) {
            return traits_type::eof();
        }
        current_ = line(next_++);
        bytes_served_ += current_.size();
        setg(current_.data(), current_.data(), current_.data() + current_.size());
        return traits_type::to_int_type(current_.front());
    }

private:
    std::size_t lines_;
    std::size_t next_ = 0;
    std::size_t bytes_served_ = 0;
    std::string current_;
};

TEST(MoleculeFileReader, StreamsAHundredThousandRecordsReadingAheadAtMostOneChunk) {
    constexpr std::size_t kLines = 100'000;
    constexpr std::size_t kMaxReadAhead = 64 * 1024 + 64;  // the read buffer and one line
    GeneratedSmilesStreambuf buffer(kLines);
    std::istream in(&buffer);
    MoleculeFileReader reader(in, MoleculeFileFormat::kSmiles);

    std::size_t count = 0;
    std::size_t end_of_record = 0;
    std::size_t worst_read_ahead = 0;
    while (auto result = reader.next()) {
        ASSERT_TRUE(*result) << result->error().message;
        end_of_record += GeneratedSmilesStreambuf::line(count).size();
        ++count;
        ASSERT_EQ((*result)->record_number, count);
        worst_read_ahead = std::max(worst_read_ahead, buffer.bytes_served() - end_of_record);
    }

    EXPECT_EQ(count, kLines);
    EXPECT_EQ(end_of_record, buffer.bytes_served());
    EXPECT_LE(worst_read_ahead, kMaxReadAhead);
}

// ---- real files shipped by Debian's rdkit-data ---------------------------------------------

std::vector<MoleculeFileReadResult> read_file(
    const std::filesystem::path& path, MoleculeFileFormat format
) {
    std::ifstream file(path, std::ios::binary);
    MoleculeFileReader reader(file, format);
    std::vector<MoleculeFileReadResult> results;
    while (auto result = reader.next()) {
        results.push_back(std::move(*result));
    }
    return results;
}

TEST(MoleculeFileReaderRealFiles, ReadsTheNciSmilesSet) {
    const std::filesystem::path path = "/usr/share/RDKit/Data/NCI/first_5K.smi";
    if (!std::filesystem::exists(path)) {
        GTEST_SKIP() << "rdkit-data is not installed";
    }

    const auto results = read_file(path, MoleculeFileFormat::kSmiles);

    // 4999 lines "SMILES<TAB>NSC number", no header, no comments.
    ASSERT_EQ(results.size(), 4'999U);
    for (const auto& result : results) {
        ASSERT_TRUE(result) << result.error().message;
        ASSERT_TRUE(result->name);
    }
    EXPECT_EQ(results.front()->structure, "CC1=CC(=O)C=CC1=O");
    EXPECT_EQ(results.front()->name, "1");
    EXPECT_EQ(results.back()->structure, "CN1CCC[CH]1C2=CC=CN=C2");
    EXPECT_EQ(results.back()->name, "5065");
}

TEST(MoleculeFileReaderRealFiles, ReadsTheSdFilesRdkitShips) {
    struct Case {
        std::string_view path;
        std::size_t records;
    };
    const Case cases[] = {
        {"/usr/share/RDKit/Data/NCI/first_200.props.sdf", 200},
        {"/usr/share/RDKit/Projects/DbCLI/testData/pubchem.200.sdf", 200},
        {"/usr/share/RDKit/Projects/DbCLI/testData/bzr.sdf", 163},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.path);
        if (!std::filesystem::exists(c.path)) {
            GTEST_SKIP() << "rdkit-data is not installed";
        }

        const auto results = read_file(c.path, MoleculeFileFormat::kSdf);

        ASSERT_EQ(results.size(), c.records);
        for (const auto& result : results) {
            ASSERT_TRUE(result) << result.error().message;
            ASSERT_TRUE(result->structure.ends_with("M  END\n"));
        }
    }
}

TEST(MoleculeFileReaderRealFiles, ReadsNciDataItemsWithTheirOddHeaders) {
    const std::filesystem::path path = "/usr/share/RDKit/Data/NCI/first_200.props.sdf";
    if (!std::filesystem::exists(path)) {
        GTEST_SKIP() << "rdkit-data is not installed";
    }

    const auto results = read_file(path, MoleculeFileFormat::kSdf);

    // Its records have a blank name line and items like ">  <AMW>  (1) ".
    ASSERT_FALSE(results.empty());
    ASSERT_TRUE(results[0]);
    EXPECT_EQ(results[0]->name, std::nullopt);
    EXPECT_EQ(results[0]->properties.at("AMW"), "122.12344");
    EXPECT_EQ(results[0]->properties.at("ISM"), "CC1=CC(=O)C=CC1=O");
}

}  // namespace
}  // namespace molvault::molecules
