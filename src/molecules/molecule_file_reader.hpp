#pragma once
// MoleculeFileReader: pulls the records of an SDF, SMILES or CSV file one at a time from a
// std::istream, for imports (the upload route, `molvault import`). Plain text only: the
// structure comes back as text for chem/ to parse.
//
// Memory: the reader holds one record and a 64 KiB read buffer, never the file. Every line, CSV
// row and SDF record is bounded by MoleculeFileLimits; whatever goes past a limit is skipped,
// not stored, so a hostile or binary upload costs at most about one record's worth of memory.
//
// Errors: a problem with one record (an SDF record without "M  END", a malformed CSV row, a line
// or value that is too long, a missing SMILES, bad UTF-8 in a name or property) comes back from
// next() as a MoleculeFileError for that record, and the next call goes on with the following
// record. Two errors end reading instead (ends_reading is true, and next() returns std::nullopt
// afterwards): a CSV header without a usable SMILES column, and a stream that fails
// (std::istream::bad(), e.g. a streambuf that threw), or a stream that had already failed when
// the reader was made (an std::ifstream that did not open). Nothing is thrown except
// std::bad_alloc, and what the stream throws if the caller enabled its exceptions.
//
// Formats (see molecule_file.hpp for the names):
//   SDF     a record runs to a "$$$$" line or the end of input. Its MOL block (V2000 or V3000) is
//           the text up to and including the "M  END" line, returned with "\n" line ends; the
//           name is the block's first line, trimmed. Data items "> <key>" (also ">  <key>  (1)"
//           and "> 25 <key> (x)") take the following lines up to a blank line or "$$$$" as the
//           value, joined by "\n"; an item with no lines has the empty value. Other lines after
//           "M  END" are ignored. A key given twice in one record is an error.
//   SMILES  one record per line: the SMILES, then optionally whitespace (spaces or tabs) and a
//           name, which is the rest of the line trimmed. Blank lines and lines starting with
//           '#' are skipped. A first data line whose first token is "smiles" (any case) is a
//           header and is skipped. CXSMILES extensions ("C |$R1$|") are not recognised: they
//           become part of the name.
//   CSV     RFC 4180: comma-separated only (no ';' or TAB), fields optionally in double quotes,
//           "" for a quote inside quotes, quoted fields may hold commas and line breaks, CRLF or
//           LF line ends. A header row is required. The structure is the column named "smiles"
//           (any case), else "canonical_smiles"; "name" (any case) is the name; a column named
//           "properties" holds a JSON object of strings (molvault's export) that is unpacked
//           into properties; every other column is a property keyed by its header (trimmed),
//           and empty cells are omitted. Columns with an empty header are ignored; blank lines
//           are skipped. A cell starting with "'" followed by = + - @ TAB or CR has the "'"
//           removed: that undoes the spreadsheet-formula guard molecule_file_writer adds.
// All formats: a UTF-8 byte order mark at the start is skipped; CRLF and LF are both line ends
// (a line's trailing CR is dropped); line numbers are 1-based and count every physical line.
//
// Thread-safety: a reader belongs to one thread, like the stream it reads. It keeps a reference
// to the stream, which must outlive it. Movable, not copyable.
//
// Example:
//   std::ifstream file(path, std::ios::binary);
//   MoleculeFileReader reader(file, MoleculeFileFormat::kSdf);
//   while (auto result = reader.next()) {
//       if (!*result) { report(result->error()); continue; }
//       import((*result)->structure, (*result)->name, (*result)->properties);
//   }

#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "common/expected.hpp"
#include "molecules/molecule_file.hpp"

namespace molvault::molecules {

// Bounds on what one record may hold; anything past them is a record error. The defaults suit
// uploads; chem/ applies its own rules (kDefaultMaxSmilesLength) when the structure is parsed.
struct MoleculeFileLimits {
    std::size_t max_record_bytes = 1024 * 1024;  // one SDF MOL block, CSV row or input line
    std::size_t max_smiles_bytes = 10'000;
    std::size_t max_name_bytes = 1'000;
    std::size_t max_properties = 100;  // per record
    std::size_t max_property_key_bytes = 100;
    std::size_t max_property_value_bytes = 10'000;
};

enum class MoleculeStructureKind { kSmiles, kMolBlock };

struct MoleculeFileRecord {
    std::size_t record_number = 0;  // 1-based; counts every record, good or bad, not headers
    std::size_t line_number = 0;    // 1-based line where the record starts
    MoleculeStructureKind kind = MoleculeStructureKind::kSmiles;
    std::string structure;            // a SMILES, or a MOL block ending "M  END\n"
    std::optional<std::string> name;  // valid UTF-8, never empty
    MoleculeProperties properties;    // keys and values valid UTF-8
};

struct MoleculeFileError {
    std::size_t record_number = 0;  // 0 for a CSV header problem
    std::size_t line_number = 0;
    std::string message;  // English, safe to show the uploader; never quotes a structure
    bool ends_reading = false;
};

using MoleculeFileReadResult = Expected<MoleculeFileRecord, MoleculeFileError>;

class MoleculeFileReader {
public:
    MoleculeFileReader(std::istream& in, MoleculeFileFormat format, MoleculeFileLimits limits = {});
    MoleculeFileReader(MoleculeFileReader&&) noexcept;
    MoleculeFileReader& operator=(MoleculeFileReader&&) noexcept;
    MoleculeFileReader(const MoleculeFileReader&) = delete;
    MoleculeFileReader& operator=(const MoleculeFileReader&) = delete;
    ~MoleculeFileReader();

    // The next record, or the error that spoiled it; std::nullopt once input is exhausted or an
    // error with ends_reading was returned.
    [[nodiscard]] std::optional<MoleculeFileReadResult> next();

    class Parser;  // one per format; defined in molecule_file_reader.cpp, not for callers

private:
    std::unique_ptr<Parser> parser_;
};

}  // namespace molvault::molecules
