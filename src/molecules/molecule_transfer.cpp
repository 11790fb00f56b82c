#include "molecules/molecule_transfer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "chem/structure.hpp"
#include "molecules/molecule_file_writer.hpp"

namespace molvault::molecules {
namespace {

bool is_export_field(std::string_view key) {
    return std::find(kMoleculeFileExportFields.begin(), kMoleculeFileExportFields.end(), key) !=
           kMoleculeFileExportFields.end();
}

NewMolecule new_molecule(MoleculeFileRecord record) {
    NewMolecule molecule;
    molecule.structure.kind = record.kind == MoleculeStructureKind::kMolBlock
                                  ? StructureInput::kMolblock
                                  : StructureInput::kSmiles;
    molecule.structure.text = std::move(record.structure);
    molecule.name = std::move(record.name);
    auto properties = nlohmann::json::object();
    for (auto& [key, value] : record.properties) {
        if (!is_export_field(key)) {
            properties[key] = std::move(value);
        }
    }
    molecule.properties = std::move(properties);
    return molecule;
}

struct PendingRow {
    std::size_t record;
    std::size_t line;
};

// Adds one batch; false when the batch failed as a whole (report.stopped_by is then set).
bool flush(
    MoleculeService& molecules,
    const auth::UserId& owner,
    const projects::ProjectId& project,
    std::vector<NewMolecule>& batch,
    std::vector<PendingRow>& pending,
    ImportReport& report
) {
    if (batch.empty()) {
        return true;
    }
    try {
        auto results = molecules.add_bulk(owner, project, batch);
        for (std::size_t i = 0; i < results.size(); ++i) {
            ImportRow row{pending[i].record, pending[i].line, std::nullopt, std::nullopt};
            if (results[i].molecule) {
                row.id = results[i].molecule->id;
                ++report.created;
            } else {
                row.error = std::move(results[i].error);
                if (row.error->duplicate_of_index) {
                    // Name the duplicated row by its record number, not its place in the batch.
                    row.error->message =
                        "the same structure as record " +
                        std::to_string(pending[*row.error->duplicate_of_index].record);
                    row.error->duplicate_of_index.reset();
                }
                ++report.failed;
            }
            report.rows.push_back(std::move(row));
        }
    } catch (const Error& error) {
        report.stopped_by = error;
        return false;
    }
    batch.clear();
    pending.clear();
    return true;
}

std::string property_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

MoleculeFileRow file_row(const Molecule& molecule, MoleculeFileFormat format) {
    MoleculeFileRow row;
    row.id = molecule.id.value;
    row.name = molecule.name;
    row.smiles = molecule.smiles;
    row.canonical_smiles = molecule.chemistry.canonical_smiles;
    row.inchi = molecule.chemistry.inchi.value_or("");
    row.inchikey = molecule.chemistry.inchikey.value_or("");
    row.formula = molecule.chemistry.formula;
    row.average_mass = molecule.chemistry.average_mass;
    const auto properties = nlohmann::json::parse(molecule.properties);
    for (const auto& [key, value] : properties.items()) {
        row.properties.emplace(key, property_text(value));
    }
    if (format == MoleculeFileFormat::kSdf) {
        auto structure = chem::Structure::from_pickle(molecule.chemistry.pickle);
        if (!structure) {
            structure = chem::parse_smiles(molecule.chemistry.canonical_smiles);
        }
        if (!structure) {
            throw std::runtime_error("a stored structure cannot be read back");
        }
        row.molblock = structure->molblock();
    }
    return row;
}

}  // namespace

ImportReport import_molecules(
    MoleculeService& molecules,
    const auth::UserId& owner,
    const projects::ProjectId& project,
    MoleculeFileReader& reader
) {
    static_cast<void>(molecules.owned_project(owner, project));  // 404 before reading anything
    ImportReport report;
    std::vector<NewMolecule> batch;
    std::vector<PendingRow> pending;
    while (auto result = reader.next()) {
        if (!*result) {
            const auto& error = result->error();
            if (!flush(molecules, owner, project, batch, pending, report)) {
                return report;
            }
            report.rows.push_back(ImportRow{
                error.record_number,
                error.line_number,
                std::nullopt,
                RowError{"invalid_record", error.message, "", {}, {}, {}}});
            ++report.failed;
            continue;
        }
        pending.push_back({(*result)->record_number, (*result)->line_number});
        batch.push_back(new_molecule(std::move(**result)));
        if (batch.size() == kImportBatchSize &&
            !flush(molecules, owner, project, batch, pending, report)) {
            return report;
        }
    }
    flush(molecules, owner, project, batch, pending, report);
    return report;
}

MoleculeExport::MoleculeExport(
    MoleculeService& molecules,
    auth::UserId owner,
    projects::ProjectId project,
    MoleculeFileFormat format
)
    : molecules_(molecules),
      owner_(std::move(owner)),
      project_(molecules.owned_project(owner_, project)),
      format_(format) {}

std::optional<std::string> MoleculeExport::next_chunk() {
    if (finished_) {
        return std::nullopt;
    }
    std::string chunk;
    if (!started_) {
        started_ = true;
        write_molecule_file_header(format_, chunk);
    }
    const auto batch = molecules_.export_batch(owner_, project_.id, after_, kExportBatchSize);
    for (const auto& molecule : batch) {
        write_molecule_file_record(format_, file_row(molecule, format_), chunk);
    }
    if (batch.size() < kExportBatchSize) {
        finished_ = true;
    } else {
        after_ = batch.back().id;
    }
    return chunk;
}

}  // namespace molvault::molecules
