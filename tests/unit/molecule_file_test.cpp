#include "molecules/molecule_file.hpp"

#include <optional>
#include <string_view>

#include <gtest/gtest.h>

namespace molvault::molecules {
namespace {

TEST(MoleculeFileFormat, ComesFromAFileNameOrExtension) {
    struct Case {
        std::string_view name;
        std::optional<MoleculeFileFormat> format;
    };
    const Case cases[] = {
        {"sdf", MoleculeFileFormat::kSdf},
        {"upload.SDF", MoleculeFileFormat::kSdf},
        {".sd", MoleculeFileFormat::kSdf},
        {"aspirin.mol", MoleculeFileFormat::kSdf},
        {"set.smi", MoleculeFileFormat::kSmiles},
        {"SMILES", MoleculeFileFormat::kSmiles},
        {"table.v2.csv", MoleculeFileFormat::kCsv},
        {"notes.txt", std::nullopt},
        {"", std::nullopt},
        {"csv.", std::nullopt},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(molecule_file_format_from_name(c.name), c.format);
    }
}

TEST(MoleculeFileFormat, ComesFromAContentTypeIgnoringParameters) {
    EXPECT_EQ(
        molecule_file_format_from_content_type("chemical/x-mdl-sdfile"), MoleculeFileFormat::kSdf
    );
    EXPECT_EQ(
        molecule_file_format_from_content_type(" Chemical/X-Daylight-Smiles ; charset=us-ascii"),
        MoleculeFileFormat::kSmiles
    );
    EXPECT_EQ(
        molecule_file_format_from_content_type("text/csv; charset=utf-8"), MoleculeFileFormat::kCsv
    );
    EXPECT_EQ(molecule_file_format_from_content_type("application/json"), std::nullopt);
    EXPECT_EQ(molecule_file_format_from_content_type(""), std::nullopt);
}

TEST(MoleculeFileFormat, NamesItsExtensionAndContentType) {
    for (const auto format :
         {MoleculeFileFormat::kSdf, MoleculeFileFormat::kSmiles, MoleculeFileFormat::kCsv}) {
        EXPECT_EQ(molecule_file_format_from_name(molecule_file_extension(format)), format);
        EXPECT_EQ(
            molecule_file_format_from_content_type(molecule_file_content_type(format)), format
        );
    }
}

}  // namespace
}  // namespace molvault::molecules
