#pragma once
// The vocabulary shared by the molecule file readers and writers (molecule_file_reader.hpp,
// molecule_file_writer.hpp): the three formats, how a file name, extension or Content-Type
// names one, the property map every record carries, and the names of the fields the writers add
// on export. Plain text only: nothing here parses chemistry (that is chem/'s job).
//
// Formats:
//   kSdf     MDL SD file: MOL blocks (V2000 or V3000) with "> <key>" data items, "$$$$" between
//            records. Extensions sdf, sd, mol; Content-Type chemical/x-mdl-sdfile.
//   kSmiles  one "SMILES[ whitespace NAME]" per line. Extensions smi, smiles; Content-Type
//            chemical/x-daylight-smiles.
//   kCsv     RFC 4180 comma-separated values with a header row. Extension csv; text/csv.
//
// Pure functions and constants; thread-safe; nothing throws except std::bad_alloc.

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace molvault::molecules {

enum class MoleculeFileFormat { kSdf, kSmiles, kCsv };

// A record's properties (SDF data items, CSV cells): key → value, each key once, in key order.
using MoleculeProperties = std::map<std::string, std::string, std::less<>>;

// The format a file name or a bare extension names, case-insensitive: "sdf", ".SDF" and
// "upload.sdf" all give kSdf. std::nullopt for anything else (including no extension).
[[nodiscard]] std::optional<MoleculeFileFormat> molecule_file_format_from_name(
    std::string_view file_name
);
// The format a Content-Type header names, case-insensitive, ignoring parameters
// ("text/csv; charset=utf-8" gives kCsv). std::nullopt for any other media type.
[[nodiscard]] std::optional<MoleculeFileFormat> molecule_file_format_from_content_type(
    std::string_view content_type
);

// The canonical extension ("sdf", "smi", "csv") and Content-Type for a format, for exports.
[[nodiscard]] std::string_view molecule_file_extension(MoleculeFileFormat format);
[[nodiscard]] std::string_view molecule_file_content_type(MoleculeFileFormat format);

// The fields the writers add beside a molecule's name, structure and user properties: SDF data
// items and CSV columns of those names. Reading an exported file back gives them as ordinary
// properties, so an importer that re-imports an export should drop these keys (they are
// derived from the structure and will be computed afresh). User properties with one of these
// keys are not written to SDF, where a fixed field of the same name takes their place.
inline constexpr std::string_view kMoleculeIdField = "molvault_id";
inline constexpr std::string_view kSmilesField = "smiles";
inline constexpr std::string_view kCanonicalSmilesField = "canonical_smiles";
inline constexpr std::string_view kInchiField = "inchi";
inline constexpr std::string_view kInchikeyField = "inchikey";
inline constexpr std::string_view kFormulaField = "formula";
inline constexpr std::string_view kAverageMassField = "average_mass";
inline constexpr std::array<std::string_view, 7> kMoleculeFileExportFields = {
    kMoleculeIdField,
    kSmilesField,
    kCanonicalSmilesField,
    kInchiField,
    kInchikeyField,
    kFormulaField,
    kAverageMassField,
};
// CSV only: the name column, and the column holding the user properties as one JSON object.
inline constexpr std::string_view kNameColumn = "name";
inline constexpr std::string_view kPropertiesColumn = "properties";

}  // namespace molvault::molecules
