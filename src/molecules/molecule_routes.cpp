#include "molecules/molecule_routes.hpp"

#include <charconv>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "auth/auth_routes.hpp"
#include "chem/depiction.hpp"
#include "common/error.hpp"
#include "common/random.hpp"
#include "common/sodium.hpp"
#include "db/timestamp.hpp"
#include "http/body_reader.hpp"
#include "http/body_stream.hpp"
#include "http/json.hpp"
#include "http/paging.hpp"
#include "http/problem.hpp"
#include "molecules/molecule_chemistry.hpp"
#include "molecules/molecule_file_reader.hpp"
#include "molecules/molecule_transfer.hpp"

namespace molvault::molecules {
namespace {

constexpr int kDefaultDepictionSize = 300;
// Depictions never change for a given structure and size; revalidation is cheap anyway.
constexpr std::string_view kDepictionCacheControl = "private, max-age=86400";
// A cursor's position text: "<sort>|<id>|<sort key>" (the key last: a name may hold '|').
constexpr char kCursorSeparator = '|';

auth::UserId caller(const http::Request& request) {
    return auth::UserId{auth::require_auth(request).user_id};
}

projects::ProjectId project_id(const http::Request& request) {
    return projects::ProjectId{request.path_param("project_id")};
}

MoleculeId molecule_id(const http::Request& request) {
    return MoleculeId{request.path_param("molecule_id")};
}

nlohmann::json optional_json(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// The computed fields, shared by molecules and /chem/validate.
nlohmann::json chemistry_json(const Chemistry& chemistry) {
    return {
        {"canonical_smiles", chemistry.canonical_smiles},
        {"input_canonical_smiles", chemistry.input_canonical_smiles},
        {"standardized", chemistry.standardized},
        {"inchi", optional_json(chemistry.inchi)},
        {"inchikey", optional_json(chemistry.inchikey)},
        {"formula", chemistry.formula},
        {"average_mass", chemistry.average_mass},
        {"exact_mass", chemistry.exact_mass},
        {"heavy_atom_count", chemistry.heavy_atom_count},
        {"clogp", chemistry.clogp},
        {"tpsa", chemistry.tpsa},
        {"hbd", chemistry.hbd},
        {"hba", chemistry.hba},
        {"rotatable_bonds", chemistry.rotatable_bonds},
    };
}

nlohmann::json molecule_json(const Molecule& molecule) {
    auto json = chemistry_json(molecule.chemistry);
    json["id"] = molecule.id.value;
    json["project_id"] = molecule.project_id.value;
    json["name"] = molecule.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(molecule.name);
    json["smiles"] = molecule.smiles;
    json["properties"] = nlohmann::json::parse(molecule.properties);
    json["created_at"] = db::format_timestamp(molecule.created_at);
    json["updated_at"] = db::format_timestamp(molecule.updated_at);
    return json;
}

// The structure of a body: exactly one of "smiles" and "molblock".
StructureInput structure_field(const nlohmann::json& body) {
    auto smiles = http::optional_string_field(body, "smiles");
    auto molblock = http::optional_string_field(body, "molblock");
    if (smiles.has_value() == molblock.has_value()) {
        throw validation_error("smiles", "give exactly one of smiles and molblock");
    }
    if (smiles) {
        return {StructureInput::kSmiles, std::move(*smiles)};
    }
    return {StructureInput::kMolblock, std::move(*molblock)};
}

std::optional<nlohmann::json> properties_field(const nlohmann::json& body) {
    const auto found = body.find("properties");
    if (found == body.end()) {
        return std::nullopt;
    }
    return *found;
}

NewMolecule new_molecule(const nlohmann::json& body) {
    http::reject_unknown_fields(body, {"smiles", "molblock", "name", "properties"});
    return {
        structure_field(body), http::optional_string_field(body, "name"), properties_field(body)};
}

MoleculeOrder order_param(const http::Request& request) {
    auto text = request.query_param("sort").value_or("created_at");
    MoleculeOrder order;
    if (text.starts_with('-')) {
        order.descending = true;
        text.erase(0, 1);
    }
    if (text == "created_at") {
        order.sort = MoleculeSort::kCreatedAt;
    } else if (text == "name") {
        order.sort = MoleculeSort::kName;
    } else if (text == "average_mass") {
        order.sort = MoleculeSort::kAverageMass;
    } else {
        throw validation_error(
            "sort", "must be created_at, name or average_mass, with an optional leading -"
        );
    }
    return order;
}

std::string sort_name(const MoleculeOrder& order) {
    const char* column = order.sort == MoleculeSort::kName          ? "name"
                         : order.sort == MoleculeSort::kAverageMass ? "average_mass"
                                                                    : "created_at";
    return (order.descending ? "-" : "") + std::string(column);
}

std::string encode_position(const MoleculeOrder& order, const MoleculePosition& position) {
    std::string key;
    if (const auto* created_at = std::get_if<db::Timestamp>(&position.key)) {
        key = db::format_timestamp(*created_at);
    } else if (const auto* name = std::get_if<std::string>(&position.key)) {
        key = *name;
    } else {
        key = fmt::format("{:.17g}", std::get<double>(position.key));
    }
    return sort_name(order) + kCursorSeparator + position.id.value + kCursorSeparator + key;
}

// The service checks the id; here only the shape, and that the cursor belongs to this sort.
MoleculePosition decode_position(const MoleculeOrder& order, const std::string& text) {
    const auto first = text.find(kCursorSeparator);
    const auto second = first == std::string::npos ? first : text.find(kCursorSeparator, first + 1);
    if (second == std::string::npos || text.substr(0, first) != sort_name(order)) {
        throw http::invalid_cursor();
    }
    MoleculePosition position;
    position.id = MoleculeId{text.substr(first + 1, second - first - 1)};
    const auto key = std::string_view(text).substr(second + 1);
    switch (order.sort) {
        case MoleculeSort::kCreatedAt: {
            const auto created_at = db::parse_timestamp(key);
            if (!created_at) {
                throw http::invalid_cursor();
            }
            position.key = *created_at;
            break;
        }
        case MoleculeSort::kName:
            position.key = std::string(key);
            break;
        case MoleculeSort::kAverageMass: {
            double mass = 0;
            const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), mass);
            if (error != std::errc{} || end != key.data() + key.size()) {
                throw http::invalid_cursor();
            }
            position.key = mass;
            break;
        }
    }
    return position;
}

nlohmann::json row_error_json(const RowError& error) {
    nlohmann::json json = {{"code", error.code}, {"message", error.message}};
    if (!error.field.empty()) {
        json["field"] = error.field;
    }
    if (error.chem) {
        json["reason"] = chem::kind_name(error.chem->kind);
        if (error.chem->atom_index) {
            json["atom_index"] = *error.chem->atom_index;
        }
    }
    if (error.existing) {
        json["existing_id"] = error.existing->value;
    }
    if (error.duplicate_of_index) {
        json["duplicate_of_index"] = *error.duplicate_of_index;
    }
    return json;
}

int size_param(const http::Request& request, const char* name) {
    const auto text = request.query_param(name);
    if (!text) {
        return kDefaultDepictionSize;
    }
    int value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc{} || end != text->data() + text->size() ||
        value < chem::kMinDepictionSize || value > chem::kMaxDepictionSize) {
        throw validation_error(
            name,
            fmt::format(
                "must be an integer from {} to {}", chem::kMinDepictionSize, chem::kMaxDepictionSize
            )
        );
    }
    return value;
}

// An SVG answer with an ETag over what determines the drawing; 304 when the client has it.
http::Response svg_response(
    const http::Request& request, const chem::Structure& structure, const std::string& identity
) {
    const auto width = size_param(request, "width");
    const auto height = size_param(request, "height");
    // Weak: equal for every spelling of the structure, whose drawings may differ in atom order.
    const auto etag =
        "W/\"" + sha256_hex(fmt::format("{}|{}x{}", identity, width, height)).substr(0, 32) + "\"";
    http::Response response;
    response.set("ETag", etag);
    response.set("Cache-Control", std::string(kDepictionCacheControl));
    if (request.header("If-None-Match") == etag) {
        response.status = http::status::kNotModified;
        return response;
    }
    response.status = http::status::kOk;
    response.set("Content-Type", "image/svg+xml");
    response.body = chem::depict_svg(structure, width, height);
    return response;
}

chem::Structure parsed_smiles_param(const http::Request& request) {
    const auto smiles = request.query_param("smiles");
    if (!smiles) {
        throw validation_error("smiles", "is required");
    }
    auto structure = parse_structure(StructureInput{StructureInput::kSmiles, *smiles});
    if (!structure) {
        throw chem::structure_error("smiles", *structure.error().chem);
    }
    return std::move(*structure);
}

// The file format of an upload or download: the `format` query parameter ("sdf", "smiles",
// "csv") wins, else the Content-Type (uploads), else `fallback`; 415 when neither says.
MoleculeFileFormat file_format(
    const http::Request& request, std::optional<MoleculeFileFormat> fallback
) {
    if (const auto name = request.query_param("format")) {
        if (const auto format = molecule_file_format_from_name(*name)) {
            return *format;
        }
        throw validation_error("format", "must be sdf, smiles or csv");
    }
    if (const auto type = request.header("Content-Type")) {
        if (const auto format = molecule_file_format_from_content_type(*type)) {
            return *format;
        }
    }
    if (fallback) {
        return *fallback;
    }
    throw Error(
        ErrorCode::kUnsupportedMediaType,
        "Send the file as chemical/x-mdl-sdfile, chemical/x-daylight-smiles or text/csv, or name "
        "the format with ?format="
    );
}

nlohmann::json import_report_json(const ImportReport& report) {
    auto items = nlohmann::json::array();
    for (const auto& row : report.rows) {
        nlohmann::json item = {{"record", row.record}, {"line", row.line}};
        if (row.id) {
            item["status"] = "created";
            item["id"] = row.id->value;
        } else {
            item["status"] = "error";
            item["error"] = row_error_json(*row.error);
        }
        items.push_back(std::move(item));
    }
    nlohmann::json json = {
        {"items", std::move(items)},
        {"created", report.created},
        {"failed", report.failed},
        {"complete", !report.stopped_by.has_value()},
    };
    if (report.stopped_by) {
        json["stopped"] = {
            {"status", http::status_for(report.stopped_by->code())},
            {"detail", report.stopped_by->what()},
        };
    }
    return json;
}

// A file name for Content-Disposition: the project's name with anything but letters, digits,
// '.', '-' and '_' replaced, so no quote or line break reaches the header.
std::string download_name(const std::string& project_name, MoleculeFileFormat format) {
    std::string name;
    for (const char c : project_name) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        name.push_back(safe ? c : '_');
    }
    return name + "." + std::string(molecule_file_extension(format));
}

}  // namespace

void add_molecule_routes(
    http::Router& router, MoleculeService& molecules, std::size_t import_max_bytes
) {
    router.post(
        "/api/v1/projects/{project_id}/molecules",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto molecule = new_molecule(http::parse_json_object(request));
            return http::json_response(
                http::status::kCreated,
                molecule_json(molecules.add(owner, project_id(request), molecule))
            );
        }
    );

    router.get(
        "/api/v1/projects/{project_id}/molecules",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto order = order_param(request);
            const auto page = http::page_request(request);
            std::optional<MoleculePosition> after;
            if (page.position) {
                after = decode_position(order, *page.position);
            }
            const auto result =
                molecules.list(owner, project_id(request), order, page.limit, after);
            auto items = nlohmann::json::array();
            for (const auto& molecule : result.items) {
                items.push_back(molecule_json(molecule));
            }
            std::optional<std::string> next;
            if (result.next) {
                next = encode_position(order, *result.next);
            }
            return http::page_response(std::move(items), next);
        }
    );

    router.post(
        "/api/v1/projects/{project_id}/molecules:bulk",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto body = http::parse_json_object(request);
            http::reject_unknown_fields(body, {"molecules"});
            const auto rows = body.find("molecules");
            if (rows == body.end() || !rows->is_array()) {
                throw validation_error("molecules", "is required and must be an array");
            }
            if (rows->size() > kMaxBulkMolecules) {
                throw validation_error(
                    "molecules", fmt::format("must hold at most {} molecules", kMaxBulkMolecules)
                );
            }
            std::vector<NewMolecule> inputs;
            inputs.reserve(rows->size());
            for (std::size_t i = 0; i < rows->size(); ++i) {
                if (!(*rows)[i].is_object()) {
                    throw validation_error(
                        fmt::format("molecules[{}]", i), "must be a JSON object"
                    );
                }
                try {
                    inputs.push_back(new_molecule((*rows)[i]));
                } catch (const Error& error) {
                    // Name the row: "molecules[3].smiles".
                    std::vector<FieldError> fields;
                    for (const auto& field : error.fields()) {
                        fields.emplace_back(
                            fmt::format("molecules[{}].{}", i, field.field),
                            field.message,
                            field.code,
                            field.atom_index
                        );
                    }
                    throw Error(error.code(), error.what(), std::move(fields));
                }
            }
            const auto results = molecules.add_bulk(owner, project_id(request), inputs);
            auto items = nlohmann::json::array();
            std::size_t created = 0;
            for (std::size_t i = 0; i < results.size(); ++i) {
                if (results[i].molecule) {
                    ++created;
                    items.push_back(
                        {{"index", i}, {"status", "created"}, {"id", results[i].molecule->id.value}}
                    );
                } else {
                    items.push_back(
                        {{"index", i},
                         {"status", "error"},
                         {"error", row_error_json(*results[i].error)}}
                    );
                }
            }
            return http::json_response(
                http::status::kOk,
                {{"items", std::move(items)},
                 {"created", created},
                 {"failed", results.size() - created}}
            );
        }
    );

    router.del(
        "/api/v1/projects/{project_id}/molecules:bulk",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto body = http::parse_json_object(request);
            http::reject_unknown_fields(body, {"ids"});
            const auto ids = body.find("ids");
            if (ids == body.end() || !ids->is_array()) {
                throw validation_error("ids", "is required and must be an array of UUIDs");
            }
            std::vector<MoleculeId> wanted;
            for (const auto& id : *ids) {
                if (!id.is_string()) {
                    throw validation_error("ids", "must be an array of UUIDs");
                }
                wanted.push_back(MoleculeId{id.get<std::string>()});
            }
            const auto result = molecules.remove_bulk(owner, project_id(request), wanted);
            auto deleted = nlohmann::json::array();
            for (const auto& id : result.deleted) {
                deleted.push_back(id.value);
            }
            auto not_found = nlohmann::json::array();
            for (const auto& id : result.not_found) {
                not_found.push_back(id.value);
            }
            return http::json_response(
                http::status::kOk, {{"deleted", deleted}, {"not_found", not_found}}
            );
        }
    );

    router.post(
        "/api/v1/projects/{project_id}/molecules:import",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto format = file_format(request, std::nullopt);
            http::BodyInputStream input(*request.body_reader);
            MoleculeFileReader reader(input, format);
            const auto report = import_molecules(molecules, owner, project_id(request), reader);
            return http::json_response(http::status::kOk, import_report_json(report));
        },
        http::RouteOptions{.max_body_bytes = import_max_bytes, .streamed_body = true}
    );

    router.get(
        "/api/v1/projects/{project_id}/molecules:export",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto format = file_format(request, MoleculeFileFormat::kSdf);
            auto file =
                std::make_unique<MoleculeExport>(molecules, owner, project_id(request), format);
            http::Response response;
            response.status = http::status::kOk;
            response.set("Content-Type", std::string(molecule_file_content_type(format)));
            response.set(
                "Content-Disposition",
                "attachment; filename=\"" + download_name(file->project().name, format) + "\""
            );
            response.stream =
                http::make_body_stream([file = std::move(file)] { return file->next_chunk(); });
            return response;
        }
    );

    router.get("/api/v1/molecules/lookup", [&molecules](const http::Request& request) {
        const auto owner = caller(request);
        const auto smiles = request.query_param("smiles");
        const auto inchikey = request.query_param("inchikey");
        if (smiles.has_value() == inchikey.has_value()) {
            throw validation_error("smiles", "give exactly one of smiles and inchikey");
        }
        const auto page = http::page_request(request);
        std::optional<MoleculePosition> after;
        if (page.position) {
            after = decode_position(MoleculeOrder{}, *page.position);
            after->id = checked_molecule_id(after->id, "cursor");
        }
        const auto result = smiles ? molecules.lookup_smiles(owner, *smiles, page.limit, after)
                                   : molecules.lookup_inchikey(owner, *inchikey, page.limit, after);
        auto items = nlohmann::json::array();
        for (const auto& molecule : result.items) {
            items.push_back(molecule_json(molecule));
        }
        std::optional<std::string> next;
        if (result.next) {
            next = encode_position(MoleculeOrder{}, *result.next);
        }
        return http::page_response(std::move(items), next);
    });

    router.get("/api/v1/molecules/{molecule_id}", [&molecules](const http::Request& request) {
        const auto owner = caller(request);
        return http::json_response(
            http::status::kOk, molecule_json(molecules.get(owner, molecule_id(request)))
        );
    });

    router.patch("/api/v1/molecules/{molecule_id}", [&molecules](const http::Request& request) {
        const auto owner = caller(request);
        const auto body = http::parse_json_object(request);
        http::reject_unknown_fields(body, {"name", "properties"});
        const auto updated = molecules.update(
            owner,
            molecule_id(request),
            http::optional_string_field(body, "name"),
            properties_field(body)
        );
        return http::json_response(http::status::kOk, molecule_json(updated));
    });

    router.del("/api/v1/molecules/{molecule_id}", [&molecules](const http::Request& request) {
        const auto owner = caller(request);
        molecules.remove(owner, molecule_id(request));
        http::Response response;
        response.status = http::status::kNoContent;
        return response;
    });

    router.get(
        "/api/v1/molecules/{molecule_id}/depiction.svg",
        [&molecules](const http::Request& request) {
            const auto owner = caller(request);
            const auto molecule = molecules.get(owner, molecule_id(request));
            auto structure = chem::Structure::from_pickle(molecule.chemistry.pickle);
            if (!structure) {
                structure = chem::parse_smiles(molecule.chemistry.canonical_smiles);
            }
            if (!structure) {
                throw std::runtime_error("a stored structure cannot be read back");
            }
            return svg_response(request, *structure, molecule.chemistry.structure_key);
        }
    );

    router.get("/api/v1/chem/depict", [](const http::Request& request) {
        static_cast<void>(caller(request));
        const auto structure = parsed_smiles_param(request);
        return svg_response(request, structure, structure_key(structure.canonical_smiles()));
    });

    router.post("/api/v1/chem/validate", [](const http::Request& request) {
        static_cast<void>(caller(request));
        const auto body = http::parse_json_object(request);
        http::reject_unknown_fields(body, {"smiles", "molblock", "standardize"});
        const auto standardize = http::optional_bool_field(body, "standardize").value_or(true);
        const auto result = validate_structure(structure_field(body), standardize);
        if (!result) {
            return http::json_response(
                http::status::kOk,
                {{"valid", false},
                 {"errors", nlohmann::json::array({row_error_json(result.error())})}}
            );
        }
        auto json = chemistry_json(*result);
        json["valid"] = true;
        return http::json_response(http::status::kOk, json);
    });
}

}  // namespace molvault::molecules
