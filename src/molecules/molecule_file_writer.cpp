#include "molecules/molecule_file_writer.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace molvault::molecules {
namespace {

constexpr std::string_view kSdfRecordEnd = "$$$$";
constexpr std::string_view kCsvLineEnd = "\r\n";
// OWASP "CSV Injection": spreadsheets run a cell starting with one of these as a formula.
constexpr std::string_view kFormulaTriggers = "=+-@\t\r";

std::string_view trim(std::string_view text) {
    constexpr std::string_view kSpaces = " \t";
    const auto first = text.find_first_not_of(kSpaces);
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(kSpaces) - first + 1);
}

bool is_export_field(std::string_view key) {
    return std::find(kMoleculeFileExportFields.begin(), kMoleculeFileExportFields.end(), key) !=
           kMoleculeFileExportFields.end();
}

// `text` on one line: tabs, CR and LF become spaces, and the ends are trimmed.
std::string one_line(std::string_view text) {
    std::string out(text);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\t' || c == '\r' || c == '\n'; }, ' '
    );
    return std::string(trim(out));
}

std::string format_mass(const std::optional<double>& mass) {
    if (!mass || !std::isfinite(*mass)) {
        return {};
    }
    return fmt::format("{:.4f}", *mass);
}

// The fixed fields of an export, in file order, as (name, value).
std::vector<std::pair<std::string_view, std::string>> export_fields(const MoleculeFileRow& row) {
    return {
        {kMoleculeIdField, row.id},
        {kSmilesField, row.smiles},
        {kCanonicalSmilesField, row.canonical_smiles},
        {kInchiField, row.inchi},
        {kInchikeyField, row.inchikey},
        {kFormulaField, row.formula},
        {kAverageMassField, format_mass(row.average_mass)},
    };
}

void append_sdf_key(std::string_view key, std::string& out) {
    out += "> <";
    for (const char c : key) {
        const bool breaks_header = c == '<' || c == '>' || c == '\r' || c == '\n';
        out.push_back(breaks_header ? '_' : c);
    }
    out += ">\n";
}

// The value's lines, less blank ones; a line that would read as "$$$$" is indented.
void append_sdf_value(std::string_view value, std::string& out) {
    while (!value.empty()) {
        const auto end = value.find_first_of("\r\n");
        const auto line = value.substr(0, end);
        value.remove_prefix(end == std::string_view::npos ? value.size() : end + 1);
        if (trim(line).empty()) {
            continue;
        }
        if (line.starts_with(kSdfRecordEnd)) {
            out.push_back(' ');
        }
        out.append(line);
        out.push_back('\n');
    }
}

void append_sdf_item(std::string_view key, std::string_view value, std::string& out) {
    append_sdf_key(key, out);
    append_sdf_value(value, out);
    out.push_back('\n');
}

void append_csv_cell(std::string_view cell, std::string& out) {
    const bool guard = !cell.empty() && kFormulaTriggers.find(cell.front()) != std::string::npos;
    const bool quote = cell.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
    if (quote) {
        out.push_back('"');
    }
    if (guard) {
        out.push_back('\'');
    }
    for (const char c : cell) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    if (quote) {
        out.push_back('"');
    }
}

std::string properties_json(const MoleculeProperties& properties) {
    auto json = nlohmann::json::object();
    for (const auto& [key, value] : properties) {
        if (!is_export_field(key)) {
            json[key] = value;
        }
    }
    if (json.empty()) {
        return {};
    }
    // Properties are stored as valid UTF-8; should one not be, a U+FFFD beats a failed export.
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void write_molecule_csv_header(std::string& out) {
    const std::vector<std::string_view> columns = {
        kMoleculeIdField,
        kNameColumn,
        kSmilesField,
        kCanonicalSmilesField,
        kInchiField,
        kInchikeyField,
        kFormulaField,
        kAverageMassField,
        kPropertiesColumn,
    };
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        append_csv_cell(columns[i], out);
    }
    out += kCsvLineEnd;
}

void write_molecule_csv_record(const MoleculeFileRow& row, std::string& out) {
    const std::vector<std::string> cells = {
        row.id,
        row.name,
        row.smiles,
        row.canonical_smiles,
        row.inchi,
        row.inchikey,
        row.formula,
        format_mass(row.average_mass),
        properties_json(row.properties),
    };
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        append_csv_cell(cells[i], out);
    }
    out += kCsvLineEnd;
}

void write_molecule_sdf_record(const MoleculeFileRow& row, std::string& out) {
    auto name = one_line(row.name);
    if (std::string_view(name).starts_with(kSdfRecordEnd)) {
        name.insert(0, 1, ' ');
    }
    out += name;
    const auto first_line_end = row.molblock.find('\n');
    if (first_line_end != std::string::npos) {
        out.append(row.molblock, first_line_end);
    } else {
        out.push_back('\n');
    }
    if (out.back() != '\n') {
        out.push_back('\n');
    }
    for (const auto& [key, value] : export_fields(row)) {
        if (!value.empty()) {
            append_sdf_item(key, value, out);
        }
    }
    for (const auto& [key, value] : row.properties) {
        if (!key.empty() && !is_export_field(key)) {
            append_sdf_item(key, value, out);
        }
    }
    out += kSdfRecordEnd;
    out.push_back('\n');
}

void write_molecule_smiles_record(const MoleculeFileRow& row, std::string& out) {
    out += row.canonical_smiles.empty() ? row.smiles : row.canonical_smiles;
    const auto name = one_line(row.name);
    if (!name.empty()) {
        out.push_back('\t');
        out += name;
    }
    out.push_back('\n');
}

void write_molecule_file_header(MoleculeFileFormat format, std::string& out) {
    if (format == MoleculeFileFormat::kCsv) {
        write_molecule_csv_header(out);
    }
}

void write_molecule_file_record(
    MoleculeFileFormat format, const MoleculeFileRow& row, std::string& out
) {
    switch (format) {
        case MoleculeFileFormat::kSdf:
            write_molecule_sdf_record(row, out);
            return;
        case MoleculeFileFormat::kSmiles:
            write_molecule_smiles_record(row, out);
            return;
        case MoleculeFileFormat::kCsv:
            write_molecule_csv_record(row, out);
            return;
    }
}

void write_molecule_file_header(MoleculeFileFormat format, std::ostream& out) {
    std::string text;
    write_molecule_file_header(format, text);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

void write_molecule_file_record(
    MoleculeFileFormat format, const MoleculeFileRow& row, std::ostream& out
) {
    std::string text;
    write_molecule_file_record(format, row, text);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace molvault::molecules
