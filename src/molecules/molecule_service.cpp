#include "molecules/molecule_service.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "chem/structure.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "common/text.hpp"
#include "molecules/molecule_chemistry.hpp"
#include "molecules/molecule_repository.hpp"
#include "projects/project_repository.hpp"

namespace molvault::molecules {
namespace {

constexpr std::string_view kMoleculeNotFound = "No such molecule";
constexpr std::string_view kProjectNotFound = "No such project";
// InChIKeys are 14 + 1 + 10 + 1 + 1 characters: AAAAAAAAAAAAAA-BBBBBBBBFV-P.
constexpr std::size_t kInchikeyLength = 27;
// Below this many rows a bulk add computes its chemistry on the calling thread.
constexpr std::size_t kParallelChemistryThreshold = 8;

db::Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()
    );
}

Error molecule_not_found() { return Error(ErrorCode::kNotFound, std::string(kMoleculeNotFound)); }
Error project_not_found() { return Error(ErrorCode::kNotFound, std::string(kProjectNotFound)); }

projects::ProjectId checked_project_id(const projects::ProjectId& id) {
    if (!is_uuid(id.value)) {
        throw validation_error("project_id", "must be a UUID");
    }
    return projects::ProjectId{ascii_lower(id.value)};
}

RowError invalid_field(std::string field, std::string message) {
    return RowError{"invalid_field", std::move(message), std::move(field), {}, {}, {}};
}

const char* structure_field(const StructureInput& input) {
    return input.kind == StructureInput::kSmiles ? "smiles" : "molblock";
}

// The structure parsed, or why not.
Expected<chem::Structure, RowError> parse_input(const StructureInput& input) {
    const char* field = structure_field(input);
    auto parsed = [&input]() -> Expected<chem::Structure, chem::ChemError> {
        if (input.kind == StructureInput::kMolblock) {
            return chem::parse_molblock(input.text);
        }
        const auto smiles = trim_ascii_whitespace(input.text);
        if (smiles.find_first_of(kAsciiWhitespace) != std::string_view::npos) {
            return Unexpected(chem::ChemError{
                chem::ChemError::kSyntax, "a SMILES must not contain whitespace", std::nullopt});
        }
        return chem::parse_smiles(smiles);
    }();
    if (!parsed) {
        const auto& error = parsed.error();
        return Unexpected(RowError{"invalid_structure", error.message, field, error, {}, {}});
    }
    return std::move(*parsed);
}

// The stored (trimmed) input SMILES: what the client gave, less surrounding whitespace; for a
// MOL block, the canonical SMILES of the input as drawn.
std::string stored_input(const StructureInput& input, const Chemistry& chemistry) {
    if (input.kind == StructureInput::kMolblock) {
        return chemistry.input_canonical_smiles;
    }
    return std::string(trim_ascii_whitespace(input.text));
}

// Empty when the name is acceptable; `name` is replaced by its trimmed form.
std::optional<RowError> check_name(std::optional<std::string>& name) {
    if (!name) {
        return std::nullopt;
    }
    auto checked = check_label(*name, kMaxMoleculeNameLength);
    if (!checked.problem.empty()) {
        return invalid_field("name", "name " + checked.problem);
    }
    name = std::move(checked.text);
    return std::nullopt;
}

// The serialized properties, or why they are not acceptable.
Expected<std::string, RowError> check_properties(const std::optional<nlohmann::json>& properties) {
    if (!properties) {
        return std::string("{}");
    }
    if (!properties->is_object()) {
        return Unexpected(invalid_field("properties", "properties must be a JSON object"));
    }
    if (properties->size() > kMaxProperties) {
        return Unexpected(invalid_field(
            "properties", fmt::format("properties may have at most {} fields", kMaxProperties)
        ));
    }
    for (const auto& [key, value] : properties->items()) {
        const auto checked_key = check_label(key, kMaxPropertyKeyLength);
        if (!checked_key.problem.empty() || checked_key.text != key) {
            return Unexpected(invalid_field(
                "properties",
                fmt::format(
                    "property names must be 1 to {} characters without control characters or "
                    "surrounding spaces",
                    kMaxPropertyKeyLength
                )
            ));
        }
        const auto field = "properties." + key;
        if (value.is_string()) {
            if (auto problem =
                    check_free_text(value.get_ref<const std::string&>(), kMaxPropertyValueLength);
                !problem.empty()) {
                return Unexpected(invalid_field(field, field + " " + problem));
            }
        } else if (value.is_number_float() && !std::isfinite(value.get<double>())) {
            return Unexpected(invalid_field(field, field + " must be a finite number"));
        } else if (!value.is_number() && !value.is_boolean() && !value.is_null()) {
            return Unexpected(
                invalid_field(field, field + " must be a string, a number, true, false or null")
            );
        }
    }
    return properties->dump();
}

// A molecule ready to insert (id and project not yet set), or why not.
Expected<Molecule, RowError> prepare(const NewMolecule& input, bool standardize) {
    auto name = input.name;
    if (auto problem = check_name(name)) {
        return Unexpected(std::move(*problem));
    }
    auto properties = check_properties(input.properties);
    if (!properties) {
        return Unexpected(properties.error());
    }
    auto chemistry = validate_structure(input.structure, standardize);
    if (!chemistry) {
        return Unexpected(chemistry.error());
    }
    Molecule molecule;
    molecule.name = name.value_or("");
    molecule.properties = std::move(*properties);
    molecule.smiles = stored_input(input.structure, *chemistry);
    molecule.chemistry = std::move(*chemistry);
    return molecule;
}

// prepare() for every row, spread over the cores for larger batches.
std::vector<Expected<Molecule, RowError>> prepare_all(
    const std::vector<NewMolecule>& inputs, bool standardize
) {
    std::vector<std::optional<Expected<Molecule, RowError>>> slots(inputs.size());
    const auto work = [&](std::size_t begin, std::size_t step) {
        for (std::size_t i = begin; i < inputs.size(); i += step) {
            slots[i].emplace(prepare(inputs[i], standardize));
        }
    };
    const std::size_t threads = inputs.size() < kParallelChemistryThreshold
                                    ? 1
                                    : std::max(1U, std::thread::hardware_concurrency());
    {
        std::vector<std::jthread> helpers;
        for (std::size_t t = 1; t < threads; ++t) {
            helpers.emplace_back(work, t, threads);
        }
        work(0, threads);
    }
    std::vector<Expected<Molecule, RowError>> prepared;
    prepared.reserve(inputs.size());
    for (auto& slot : slots) {
        prepared.push_back(std::move(*slot));
    }
    return prepared;
}

Error row_error_to_error(const RowError& error) {
    FieldError field{error.field, error.message, error.code, std::nullopt};
    if (error.chem) {
        field.code = chem::kind_name(error.chem->kind);
        field.atom_index = error.chem->atom_index;
    }
    return Error(ErrorCode::kValidation, "The request is invalid", {std::move(field)});
}

Error duplicate_error(const MoleculeId& existing) {
    return Error(
               ErrorCode::kConflict,
               fmt::format(
                   "This structure is already in the project as molecule {}", existing.value
               )
    )
        .with_extension("existing_id", existing.value);
}

// Throws kForbidden when `adding` more molecules would exceed the project's quota.
void check_quota(
    const TierQuota& quota,
    const molecule_repository::LockedProject& project,
    const projects::ProjectId& project_id,
    std::size_t adding
) {
    const auto limit = quota.limit_for(project.owner_tier);
    if (!limit || project.molecule_count + static_cast<std::int64_t>(adding) <= *limit) {
        return;
    }
    log::info(
        "quota_exceeded",
        {{"project_id", project_id.value},
         {"quota", "molecules"},
         {"tier", project.owner_tier},
         {"limit", *limit}}
    );
    throw Error(
        ErrorCode::kForbidden,
        fmt::format(
            "Molecule limit reached: the {} tier allows {} molecule{} per project",
            project.owner_tier,
            *limit,
            *limit == 1 ? "" : "s"
        )
    );
}

LookupPage make_lookup_page(std::vector<Molecule> rows, std::size_t limit) {
    LookupPage page;
    page.items = std::move(rows);
    if (page.items.size() > limit) {
        page.items.resize(limit);
        const auto& last = page.items.back();
        page.next = MoleculePosition{last.created_at, last.id};
    }
    return page;
}

void check_limit(std::size_t limit) {
    if (limit == 0) {
        throw validation_error("limit", "must be at least 1");
    }
}

}  // namespace

Expected<chem::Structure, RowError> parse_structure(const StructureInput& input) {
    return parse_input(input);
}

Expected<Chemistry, RowError> validate_structure(const StructureInput& input, bool standardize) {
    auto structure = parse_input(input);
    if (!structure) {
        return Unexpected(structure.error());
    }
    auto chemistry = compute_chemistry(*structure, standardize);
    if (!chemistry) {
        const auto& error = chemistry.error();
        return Unexpected(RowError{
            "invalid_structure",
            "standardization failed: " + error.message,
            structure_field(input),
            error,
            {},
            {}});
    }
    return std::move(*chemistry);
}

MoleculeId checked_molecule_id(const MoleculeId& id, const char* field) {
    if (!is_uuid(id.value)) {
        throw validation_error(field, "must be a UUID");
    }
    return MoleculeId{ascii_lower(id.value)};
}

MoleculeService::MoleculeService(db::Database& db, TierQuota quota) : db_(db), quota_(quota) {}

projects::Project MoleculeService::owned_project(
    const auth::UserId& owner, const projects::ProjectId& project
) {
    auto found = projects::project_repository::find(db_, checked_project_id(project), owner);
    if (!found) {
        throw project_not_found();
    }
    return std::move(*found);
}

Molecule MoleculeService::add(
    const auth::UserId& owner, const projects::ProjectId& project, const NewMolecule& molecule
) {
    const auto project_id = checked_project_id(project);
    auto prepared = prepare(molecule, owned_project(owner, project_id).standardize);
    if (!prepared) {
        throw row_error_to_error(prepared.error());
    }
    auto& created = *prepared;
    created.id = MoleculeId{uuid_v4()};
    created.project_id = project_id;
    created.created_at = now();
    created.updated_at = created.created_at;

    auto tx = db_.begin();
    const auto locked = molecule_repository::lock_project(tx, project_id, owner);
    if (!locked) {
        throw project_not_found();
    }
    if (const auto existing = molecule_repository::find_by_structure(
            tx, project_id, created.chemistry.structure_key
        )) {
        throw duplicate_error(*existing);
    }
    check_quota(quota_, *locked, project_id, 1);
    molecule_repository::insert(tx, created);
    molecule_repository::add_to_count(tx, project_id, 1);
    tx.commit();
    return created;
}

std::vector<BulkRowResult> MoleculeService::add_bulk(
    const auth::UserId& owner,
    const projects::ProjectId& project,
    const std::vector<NewMolecule>& molecules
) {
    const auto project_id = checked_project_id(project);
    if (molecules.size() > kMaxBulkMolecules) {
        throw validation_error(
            "molecules", fmt::format("must hold at most {} molecules", kMaxBulkMolecules)
        );
    }
    auto prepared = prepare_all(molecules, owned_project(owner, project_id).standardize);

    std::vector<BulkRowResult> results(molecules.size());
    std::map<std::string, std::size_t> first_row_of_key;
    const auto created_at = now();
    auto tx = db_.begin();
    const auto locked = molecule_repository::lock_project(tx, project_id, owner);
    if (!locked) {
        throw project_not_found();
    }
    std::vector<std::size_t> to_insert;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
        if (!prepared[i]) {
            results[i].error = prepared[i].error();
            continue;
        }
        const auto& key = prepared[i]->chemistry.structure_key;
        if (const auto existing = molecule_repository::find_by_structure(tx, project_id, key)) {
            results[i].error = RowError{
                "duplicate_in_project",
                fmt::format("already in the project as molecule {}", existing->value),
                structure_field(molecules[i].structure),
                {},
                existing,
                {}};
            continue;
        }
        if (const auto [first, inserted] = first_row_of_key.emplace(key, i); !inserted) {
            results[i].error = RowError{
                "duplicate_in_batch",
                fmt::format("the same structure as row {}", first->second),
                structure_field(molecules[i].structure),
                {},
                {},
                first->second};
            continue;
        }
        to_insert.push_back(i);
    }
    check_quota(quota_, *locked, project_id, to_insert.size());
    for (const auto i : to_insert) {
        auto& molecule = *prepared[i];
        molecule.id = MoleculeId{uuid_v4()};
        molecule.project_id = project_id;
        molecule.created_at = created_at;
        molecule.updated_at = created_at;
        molecule_repository::insert(tx, molecule);
        results[i].molecule = std::move(molecule);
    }
    molecule_repository::add_to_count(tx, project_id, static_cast<std::int64_t>(to_insert.size()));
    tx.commit();
    log::info(
        "molecules_added",
        {{"user_id", owner.value},
         {"project_id", project_id.value},
         {"rows", static_cast<std::int64_t>(molecules.size())},
         {"inserted", static_cast<std::int64_t>(to_insert.size())}}
    );
    return results;
}

Molecule MoleculeService::get(const auth::UserId& owner, const MoleculeId& id) {
    auto molecule = molecule_repository::find(db_, checked_molecule_id(id, "molecule_id"), owner);
    if (!molecule) {
        throw molecule_not_found();
    }
    return std::move(*molecule);
}

MoleculePage MoleculeService::list(
    const auth::UserId& owner,
    const projects::ProjectId& project,
    const MoleculeOrder& order,
    std::size_t limit,
    const std::optional<MoleculePosition>& after
) {
    check_limit(limit);
    const auto project_id = checked_project_id(project);
    static_cast<void>(owned_project(owner, project_id));  // 404 unless the owner's
    std::optional<MoleculePosition> start;
    if (after) {
        start = MoleculePosition{after->key, checked_molecule_id(after->id, "cursor")};
    }
    MoleculePage page;
    // One extra row tells whether another page follows without a second query.
    page.items = molecule_repository::list(db_, project_id, order, start, limit + 1);
    if (page.items.size() > limit) {
        page.items.resize(limit);
        const auto& last = page.items.back();
        db::Value key;
        switch (order.sort) {
            case MoleculeSort::kCreatedAt:
                key = last.created_at;
                break;
            case MoleculeSort::kName:
                key = last.name;
                break;
            case MoleculeSort::kAverageMass:
                key = last.chemistry.average_mass;
                break;
        }
        page.next = MoleculePosition{std::move(key), last.id};
    }
    return page;
}

Molecule MoleculeService::update(
    const auth::UserId& owner,
    const MoleculeId& id,
    const std::optional<std::string>& name,
    const std::optional<nlohmann::json>& properties
) {
    const auto molecule_id = checked_molecule_id(id, "molecule_id");
    if (!name && !properties) {
        throw validation_error("body", "must set name or properties");
    }
    MoleculeChanges changes;
    changes.name = name;
    if (auto problem = check_name(changes.name)) {
        throw row_error_to_error(*problem);
    }
    if (properties) {
        auto serialized = check_properties(properties);
        if (!serialized) {
            throw row_error_to_error(serialized.error());
        }
        changes.properties = std::move(*serialized);
    }
    auto tx = db_.begin();
    auto updated = molecule_repository::update(tx, molecule_id, owner, changes, now());
    if (!updated) {
        throw molecule_not_found();
    }
    tx.commit();
    return std::move(*updated);
}

void MoleculeService::remove(const auth::UserId& owner, const MoleculeId& id) {
    const auto molecule = get(owner, id);
    // The project row is locked before the molecule row, as every write does.
    auto tx = db_.begin();
    if (!molecule_repository::lock_project(tx, molecule.project_id, owner) ||
        !molecule_repository::remove(tx, molecule.project_id, molecule.id)) {
        throw molecule_not_found();
    }
    molecule_repository::add_to_count(tx, molecule.project_id, -1);
    tx.commit();
}

BulkDeleteResult MoleculeService::remove_bulk(
    const auth::UserId& owner,
    const projects::ProjectId& project,
    const std::vector<MoleculeId>& ids
) {
    const auto project_id = checked_project_id(project);
    if (ids.size() > kMaxBulkMolecules) {
        throw validation_error("ids", fmt::format("must hold at most {} ids", kMaxBulkMolecules));
    }
    std::vector<MoleculeId> checked;
    checked.reserve(ids.size());
    for (const auto& id : ids) {
        checked.push_back(checked_molecule_id(id, "ids"));
    }
    std::sort(checked.begin(), checked.end());
    checked.erase(std::unique(checked.begin(), checked.end()), checked.end());
    BulkDeleteResult result;
    auto tx = db_.begin();
    if (!molecule_repository::lock_project(tx, project_id, owner)) {
        throw project_not_found();
    }
    for (auto& id : checked) {
        if (molecule_repository::remove(tx, project_id, id)) {
            result.deleted.push_back(std::move(id));
        } else {
            result.not_found.push_back(std::move(id));
        }
    }
    molecule_repository::add_to_count(
        tx, project_id, -static_cast<std::int64_t>(result.deleted.size())
    );
    tx.commit();
    return result;
}

LookupPage MoleculeService::lookup_smiles(
    const auth::UserId& owner,
    const std::string& smiles,
    std::size_t limit,
    const std::optional<MoleculePosition>& after
) {
    check_limit(limit);
    auto structure = parse_input(StructureInput{StructureInput::kSmiles, smiles});
    if (!structure) {
        throw row_error_to_error(structure.error());
    }
    const auto key = structure_key(structure->canonical_smiles());
    return make_lookup_page(
        molecule_repository::find_by_key(db_, owner, key, after, limit + 1), limit
    );
}

LookupPage MoleculeService::lookup_inchikey(
    const auth::UserId& owner,
    const std::string& inchikey,
    std::size_t limit,
    const std::optional<MoleculePosition>& after
) {
    check_limit(limit);
    const bool well_formed = inchikey.size() == kInchikeyLength && inchikey[14] == '-' &&
                             inchikey[25] == '-' &&
                             std::all_of(inchikey.begin(), inchikey.end(), [](char c) {
                                 return (c >= 'A' && c <= 'Z') || c == '-';
                             });
    if (!well_formed) {
        throw validation_error("inchikey", "must be a standard InChIKey (27 characters)");
    }
    return make_lookup_page(
        molecule_repository::find_by_inchikey(db_, owner, inchikey, after, limit + 1), limit
    );
}

std::vector<Molecule> MoleculeService::export_batch(
    const auth::UserId& owner,
    const projects::ProjectId& project,
    const std::optional<MoleculeId>& after,
    std::size_t limit
) {
    const auto project_id = checked_project_id(project);
    static_cast<void>(owned_project(owner, project_id));
    return molecule_repository::list_by_id(db_, project_id, after, limit);
}

}  // namespace molvault::molecules
