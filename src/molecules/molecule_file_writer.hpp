#pragma once
// Writers for molecule exports: one record at a time, appended to a std::string (a chunk of a
// streamed HTTP response) or written to a std::ostream. What they write, MoleculeFileReader
// reads back with the same name and user properties (SMILES files keep only the name).
//
// MoleculeFileRow is plain data the caller fills from a stored molecule. The writers add the
// fixed fields named in molecule_file.hpp (kMoleculeFileExportFields) and skip the empty ones;
// a user property whose key is one of those names is not written.
//
//   SDF     the MOL block with its first line replaced by the name, then data items
//           molvault_id, smiles, canonical_smiles, inchi, inchikey, formula, average_mass and
//           the user properties, then "$$$$". SDF cannot hold every string, so: a name's line
//           breaks and tabs become spaces, and a name starting "$$$$" gets a leading space (it
//           would end the record); in a key, '<', '>' and line breaks become '_'; in a value,
//           CRLF and CR become LF, blank lines are dropped (a blank line ends a value) and a
//           line starting "$$$$" gets a leading space.
//   SMILES  "canonical_smiles<TAB>name\n" (the entered SMILES if there is no canonical one); the
//           name's tabs and line breaks become spaces, and it is trimmed. No header.
//   CSV     RFC 4180 with CRLF line ends. A header row molvault_id, name, smiles,
//           canonical_smiles, inchi, inchikey, formula, average_mass, properties; the user
//           properties go in the last column as one compact JSON object (properties differ per
//           molecule, so they cannot be columns of a streamed file), empty when there are none.
//           A cell is quoted when it holds a comma, quote or line break or starts or ends with
//           a space. Against spreadsheet formula injection (OWASP "CSV Injection"), a cell that
//           starts with = + - @ TAB or CR gets a leading "'"; the reader removes it again. The
//           rule applies to every column, SMILES included, and never changes a valid SMILES:
//           SMILES starts with an atom ('[', '*', a letter) or, rarely, '.'; never with a bond
//           ('-', '='), a charge ('+', '-', only inside brackets) or '@' (chirality, inside or
//           after an atom). A SMILES it does change was not valid, and the guard makes it
//           safe to open anyway.
//   average_mass is written with four decimals; a non-finite mass is left out.
//
// Thread-safety: pure functions of their arguments; thread-safe. They throw only
// std::bad_alloc, or what the std::ostream throws if its exceptions are enabled.

#include <optional>
#include <ostream>
#include <string>

#include "molecules/molecule_file.hpp"

namespace molvault::molecules {

struct MoleculeFileRow {
    std::string id;
    std::string name;    // empty when the molecule has none
    std::string smiles;  // as entered
    std::string canonical_smiles;
    std::string molblock;  // SDF only: a MOL block ending "M  END\n"
    std::string inchi;
    std::string inchikey;
    std::string formula;
    std::optional<double> average_mass;
    MoleculeProperties properties;  // the user's, valid UTF-8
};

// The CSV header row; SDF and SMILES files have no header (these append nothing).
void write_molecule_csv_header(std::string& out);
void write_molecule_csv_record(const MoleculeFileRow& row, std::string& out);
void write_molecule_sdf_record(const MoleculeFileRow& row, std::string& out);
void write_molecule_smiles_record(const MoleculeFileRow& row, std::string& out);

// The same, chosen by format: call the header once, then the record per molecule.
void write_molecule_file_header(MoleculeFileFormat format, std::string& out);
void write_molecule_file_record(
    MoleculeFileFormat format, const MoleculeFileRow& row, std::string& out
);
void write_molecule_file_header(MoleculeFileFormat format, std::ostream& out);
void write_molecule_file_record(
    MoleculeFileFormat format, const MoleculeFileRow& row, std::ostream& out
);

}  // namespace molvault::molecules
