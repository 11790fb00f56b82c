#pragma once
// Import and export of whole files of molecules (SDF, SMILES, CSV), on top of MoleculeService,
// for the upload and download routes and for `molvault import`.
//
// Import reads records one at a time (MoleculeFileReader) and adds them in batches of
// kImportBatchSize through MoleculeService::add_bulk, so memory holds one batch, not the file:
// each batch is one transaction. A record that cannot be read, parsed or stored is reported and
// skipped; a request failure of a whole batch (the quota, the project deleted meanwhile) stops
// the import with that error after the earlier batches were committed, and the report says so.
// Properties named like the fields molvault's own exports add (molvault_id, canonical_smiles,
// ...) are dropped, so an export imports back cleanly.
//
// Export writes a project's molecules in id order, one chunk of kExportBatchSize molecules per
// next_chunk() call, so a caller can stream any size of project.
//
// Thread-safety: import_molecules is a free function on caller-owned objects; a MoleculeExport
// belongs to one thread at a time. Errors: molvault::Error as MoleculeService throws them.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "auth/user.hpp"
#include "common/error.hpp"
#include "molecules/molecule.hpp"
#include "molecules/molecule_file.hpp"
#include "molecules/molecule_file_reader.hpp"
#include "molecules/molecule_service.hpp"

namespace molvault::molecules {

constexpr std::size_t kImportBatchSize = kMaxBulkMolecules;
constexpr std::size_t kExportBatchSize = 500;

struct ImportRow {
    std::size_t record = 0;  // 1-based record number in the file
    std::size_t line = 0;    // where the record starts
    std::optional<MoleculeId> id;
    std::optional<RowError> error;
};

struct ImportReport {
    std::vector<ImportRow> rows;
    std::size_t created = 0;
    std::size_t failed = 0;
    // Set when a batch failed as a whole and the import stopped there; rows lists only what
    // was read before, and everything reported as created is committed.
    std::optional<Error> stopped_by;
};

[[nodiscard]] ImportReport import_molecules(
    MoleculeService& molecules,
    const auth::UserId& owner,
    const projects::ProjectId& project,
    MoleculeFileReader& reader
);

class MoleculeExport {
public:
    // Checks the project at once (kNotFound when the owner has none with this id).
    MoleculeExport(
        MoleculeService& molecules,
        auth::UserId owner,
        projects::ProjectId project,
        MoleculeFileFormat format
    );

    [[nodiscard]] const projects::Project& project() const { return project_; }
    // The next part of the file (the header comes with the first), or nullopt after the last.
    [[nodiscard]] std::optional<std::string> next_chunk();

private:
    MoleculeService& molecules_;
    auth::UserId owner_;
    projects::Project project_;
    MoleculeFileFormat format_;
    std::optional<MoleculeId> after_;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace molvault::molecules
