#pragma once
// HTTP for the molecules feature and the stateless chemistry helpers. Every route needs a
// signed-in caller (401 otherwise) and acts only on the caller's own projects and molecules
// (someone else's are 404, as missing ones):
//   POST   /api/v1/projects/{project_id}/molecules           201 the molecule
//   GET    /api/v1/projects/{project_id}/molecules           200 {"items", "next_cursor"}
//          ?sort=created_at|name|average_mass (a leading "-" for descending), limit, cursor
//   POST   /api/v1/projects/{project_id}/molecules:bulk      200 one result per input row
//   DELETE /api/v1/projects/{project_id}/molecules:bulk      200 {"deleted", "not_found"}
//   GET    /api/v1/molecules/lookup?smiles=…|inchikey=…      200 {"items", "next_cursor"}
//   GET    /api/v1/molecules/{molecule_id}                   200 the molecule
//   PATCH  /api/v1/molecules/{molecule_id}                   200 the molecule (name, properties)
//   DELETE /api/v1/molecules/{molecule_id}                   204
//   GET    /api/v1/molecules/{molecule_id}/depiction.svg     200 image/svg+xml, ETag
//   GET    /api/v1/chem/depict?smiles=…                      200 image/svg+xml, ETag
//   POST   /api/v1/chem/validate                             200 {"valid", ...}
// Depictions take width and height (kMinDepictionSize..kMaxDepictionSize, default 300) and
// answer 304 to a matching If-None-Match. Bodies are strict whitelists (unknown fields → 422).
// The service must outlive the router.

#include <cstddef>

#include "http/router.hpp"
#include "molecules/molecule_service.hpp"

namespace molvault::molecules {

// `import_max_bytes`: the largest upload the import route reads (IMPORT_MAX_BYTES); the upload
// is streamed, so this bounds time, not memory.
void add_molecule_routes(
    http::Router& router, MoleculeService& molecules, std::size_t import_max_bytes
);

}  // namespace molvault::molecules
