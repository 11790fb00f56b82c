#include "molecules/molecule_repository.hpp"

#include <array>

namespace molvault::molecules::molecule_repository {
namespace {

#define MOLVAULT_MOLECULE_COLUMNS                                            \
    "id, project_id, name, properties, smiles, input_canonical_smiles, "     \
    "input_key, canonical_smiles, structure_key, inchi, inchikey, formula, " \
    "average_mass, exact_mass, heavy_atom_count, clogp, tpsa, hbd, hba, "    \
    "rotatable_bonds, pickle, created_at, updated_at"

constexpr db::Statement kLockProjectPostgres{
    "molecules.lock_project",
    "SELECT p.standardize, p.molecule_count, u.tier FROM projects p "
    "JOIN users u ON u.id = p.owner_id WHERE p.id = $1 AND p.owner_id = $2 FOR UPDATE OF p",
};
// SQLite has no FOR UPDATE; the transaction already holds the database's write lock.
constexpr db::Statement kLockProjectSqlite{
    "molecules.lock_project",
    "SELECT p.standardize, p.molecule_count, u.tier FROM projects p "
    "JOIN users u ON u.id = p.owner_id WHERE p.id = $1 AND p.owner_id = $2",
};

constexpr db::Statement kAddToCount{
    "molecules.add_to_count",
    "UPDATE projects SET molecule_count = molecule_count + $2 WHERE id = $1",
};

constexpr db::Statement kFindByStructure{
    "molecules.find_by_structure",
    "SELECT id FROM molecules WHERE project_id = $1 AND structure_key = $2",
};

constexpr db::Statement kInsert{
    "molecules.insert",
    "INSERT INTO molecules (id, project_id, name, properties, smiles, input_canonical_smiles, "
    "input_key, canonical_smiles, structure_key, inchi, inchikey, formula, average_mass, "
    "exact_mass, heavy_atom_count, clogp, tpsa, hbd, hba, rotatable_bonds, pickle, created_at, "
    "updated_at, search_entry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
    "$14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23)",
};

constexpr db::Statement kFind{
    "molecules.find",
    "SELECT " MOLVAULT_MOLECULE_COLUMNS
    " FROM molecules WHERE id = $1 AND project_id IN (SELECT id FROM projects WHERE owner_id = $2)",
};

constexpr db::Statement kListByIdFirst{
    "molecules.list_by_id_first",
    "SELECT " MOLVAULT_MOLECULE_COLUMNS
    " FROM molecules WHERE project_id = $1 ORDER BY id LIMIT $2",
};
constexpr db::Statement kListByIdAfter{
    "molecules.list_by_id_after",
    "SELECT " MOLVAULT_MOLECULE_COLUMNS
    " FROM molecules WHERE project_id = $1 AND id > $3 ORDER BY id LIMIT $2",
};

// Both keys are indexed; the OR becomes a union of two index scans on both backends.
// Ownership is a subquery rather than a join, so no column name is ambiguous.
#define MOLVAULT_BY_KEY                                                               \
    "SELECT " MOLVAULT_MOLECULE_COLUMNS                                               \
    " FROM molecules WHERE (structure_key = $2 OR input_key = $2) AND project_id IN " \
    "(SELECT id FROM projects WHERE owner_id = $1)"
#define MOLVAULT_BY_INCHIKEY                              \
    "SELECT " MOLVAULT_MOLECULE_COLUMNS                   \
    " FROM molecules WHERE inchikey = $2 AND project_id " \
    "IN (SELECT id FROM projects WHERE owner_id = $1)"
#define MOLVAULT_AFTER " AND (created_at, id) > ($4, $5)"
#define MOLVAULT_ORDER " ORDER BY created_at, id LIMIT $3"
constexpr db::Statement kFindByKeyFirst{
    "molecules.find_by_key_first", MOLVAULT_BY_KEY MOLVAULT_ORDER};
constexpr db::Statement kFindByKeyAfter{
    "molecules.find_by_key_after", MOLVAULT_BY_KEY MOLVAULT_AFTER MOLVAULT_ORDER};
constexpr db::Statement kFindByInchikeyFirst{
    "molecules.find_by_inchikey_first", MOLVAULT_BY_INCHIKEY MOLVAULT_ORDER};
constexpr db::Statement kFindByInchikeyAfter{
    "molecules.find_by_inchikey_after", MOLVAULT_BY_INCHIKEY MOLVAULT_AFTER MOLVAULT_ORDER};
#undef MOLVAULT_BY_KEY
#undef MOLVAULT_BY_INCHIKEY
#undef MOLVAULT_AFTER
#undef MOLVAULT_ORDER

constexpr db::Statement kUpdate{
    "molecules.update",
    "UPDATE molecules SET name = COALESCE($3, name), properties = COALESCE($4, properties), "
    "updated_at = $5 WHERE id = $1 AND project_id IN (SELECT id FROM projects WHERE owner_id = "
    "$2) RETURNING " MOLVAULT_MOLECULE_COLUMNS,
};

constexpr db::Statement kDelete{
    "molecules.delete",
    "DELETE FROM molecules WHERE project_id = $1 AND id = $2",
};

// The keyset listings: one (first page, later page) pair per sort column and direction, over
// the molecules_project_id_<column>_id_idx indexes. Row values compare lexicographically on
// both backends.
struct ListStatements {
    std::string first_sql;
    std::string after_sql;
    std::string first_name;
    std::string after_name;
};

ListStatements make_list_statements(const char* column, bool descending) {
    const std::string direction = descending ? " DESC" : "";
    const std::string comparison = descending ? " < " : " > ";
    const std::string order =
        std::string(" ORDER BY ") + column + direction + ", id" + direction + " LIMIT $2";
    const std::string select =
        "SELECT " MOLVAULT_MOLECULE_COLUMNS " FROM molecules WHERE project_id = $1";
    const std::string name = std::string("molecules.list_") + column + (descending ? "_desc" : "");
    return {
        select + order,
        select + " AND (" + column + ", id)" + comparison + "($3, $4)" + order,
        name + "_first",
        name + "_after",
    };
}

#undef MOLVAULT_MOLECULE_COLUMNS

const ListStatements& list_statements(const MoleculeOrder& order) {
    static const std::array<ListStatements, 6> kStatements{
        make_list_statements("created_at", false),
        make_list_statements("created_at", true),
        make_list_statements("name", false),
        make_list_statements("name", true),
        make_list_statements("average_mass", false),
        make_list_statements("average_mass", true),
    };
    return kStatements[static_cast<std::size_t>(order.sort) * 2 + (order.descending ? 1 : 0)];
}

Molecule read_molecule(const db::Row& row) {
    Molecule molecule;
    molecule.id = MoleculeId{row.text(0)};
    molecule.project_id = projects::ProjectId{row.text(1)};
    molecule.name = row.text(2);
    molecule.properties = row.text(3);
    molecule.smiles = row.text(4);
    auto& chemistry = molecule.chemistry;
    chemistry.input_canonical_smiles = row.text(5);
    chemistry.input_key = row.text(6);
    chemistry.canonical_smiles = row.text(7);
    chemistry.structure_key = row.text(8);
    chemistry.standardized = chemistry.input_key != chemistry.structure_key;
    chemistry.inchi = row.optional_text(9);
    chemistry.inchikey = row.optional_text(10);
    chemistry.formula = row.text(11);
    chemistry.average_mass = row.real(12);
    chemistry.exact_mass = row.real(13);
    chemistry.heavy_atom_count = static_cast<int>(row.integer(14));
    chemistry.clogp = row.real(15);
    chemistry.tpsa = row.real(16);
    chemistry.hbd = static_cast<int>(row.integer(17));
    chemistry.hba = static_cast<int>(row.integer(18));
    chemistry.rotatable_bonds = static_cast<int>(row.integer(19));
    chemistry.pickle = row.blob(20);
    molecule.created_at = row.timestamp(21);
    molecule.updated_at = row.timestamp(22);
    return molecule;
}

std::vector<Molecule> read_molecules(const db::Result& result) {
    std::vector<Molecule> molecules;
    molecules.reserve(result.rows.size());
    for (const auto& row : result.rows) {
        molecules.push_back(read_molecule(row));
    }
    return molecules;
}

std::optional<Molecule> first_molecule(const db::Result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return read_molecule(result.rows.front());
}

}  // namespace

std::optional<LockedProject> lock_project(
    db::Transaction& tx, const projects::ProjectId& project, const auth::UserId& owner
) {
    const auto& statement =
        tx.backend() == db::Backend::kPostgres ? kLockProjectPostgres : kLockProjectSqlite;
    const auto result = tx.execute(statement, {project.value, owner.value});
    if (result.empty()) {
        return std::nullopt;
    }
    const auto& row = result.rows.front();
    return LockedProject{row.boolean(0), row.integer(1), row.text(2)};
}

void add_to_count(db::Transaction& tx, const projects::ProjectId& project, std::int64_t delta) {
    tx.execute(kAddToCount, {project.value, delta});
}

std::optional<MoleculeId> find_by_structure(
    db::Transaction& tx, const projects::ProjectId& project, const std::string& structure_key
) {
    const auto result = tx.execute(kFindByStructure, {project.value, structure_key});
    if (result.empty()) {
        return std::nullopt;
    }
    return MoleculeId{result.rows.front().text(0)};
}

void insert(db::Transaction& tx, const Molecule& molecule) {
    const auto& chemistry = molecule.chemistry;
    tx.execute(
        kInsert,
        {molecule.id.value,
         molecule.project_id.value,
         molecule.name,
         molecule.properties,
         molecule.smiles,
         chemistry.input_canonical_smiles,
         chemistry.input_key,
         chemistry.canonical_smiles,
         chemistry.structure_key,
         db::nullable_text(chemistry.inchi),
         db::nullable_text(chemistry.inchikey),
         chemistry.formula,
         chemistry.average_mass,
         chemistry.exact_mass,
         std::int64_t{chemistry.heavy_atom_count},
         chemistry.clogp,
         chemistry.tpsa,
         std::int64_t{chemistry.hbd},
         std::int64_t{chemistry.hba},
         std::int64_t{chemistry.rotatable_bonds},
         db::Blob{chemistry.pickle},
         molecule.created_at,
         db::Blob{chemistry.search_entry}}
    );
}

std::optional<Molecule> find(db::Database& db, const MoleculeId& id, const auth::UserId& owner) {
    return first_molecule(db.execute(kFind, {id.value, owner.value}));
}

std::vector<Molecule> list(
    db::Database& db,
    const projects::ProjectId& project,
    const MoleculeOrder& order,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
) {
    const auto& statements = list_statements(order);
    const auto count = static_cast<std::int64_t>(limit);
    if (!after) {
        return read_molecules(db.execute(
            db::Statement{statements.first_name, statements.first_sql}, {project.value, count}
        ));
    }
    return read_molecules(db.execute(
        db::Statement{statements.after_name, statements.after_sql},
        {project.value, count, after->key, after->id.value}
    ));
}

std::vector<Molecule> list_by_id(
    db::Database& db,
    const projects::ProjectId& project,
    const std::optional<MoleculeId>& after,
    std::size_t limit
) {
    const auto count = static_cast<std::int64_t>(limit);
    return read_molecules(
        after ? db.execute(kListByIdAfter, {project.value, count, after->value})
              : db.execute(kListByIdFirst, {project.value, count})
    );
}

std::vector<Molecule> find_by_key(
    db::Database& db,
    const auth::UserId& owner,
    const std::string& key,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
) {
    const auto count = static_cast<std::int64_t>(limit);
    return read_molecules(
        after ? db.execute(kFindByKeyAfter, {owner.value, key, count, after->key, after->id.value})
              : db.execute(kFindByKeyFirst, {owner.value, key, count})
    );
}

std::vector<Molecule> find_by_inchikey(
    db::Database& db,
    const auth::UserId& owner,
    const std::string& inchikey,
    const std::optional<MoleculePosition>& after,
    std::size_t limit
) {
    const auto count = static_cast<std::int64_t>(limit);
    return read_molecules(
        after
            ? db.execute(
                  kFindByInchikeyAfter, {owner.value, inchikey, count, after->key, after->id.value}
              )
            : db.execute(kFindByInchikeyFirst, {owner.value, inchikey, count})
    );
}

std::optional<Molecule> update(
    db::Transaction& tx,
    const MoleculeId& id,
    const auth::UserId& owner,
    const MoleculeChanges& changes,
    db::Timestamp now
) {
    return first_molecule(tx.execute(
        kUpdate,
        {id.value,
         owner.value,
         db::nullable_text(changes.name),
         db::nullable_text(changes.properties),
         now}
    ));
}

bool remove(db::Transaction& tx, const projects::ProjectId& project, const MoleculeId& id) {
    return tx.execute(kDelete, {project.value, id.value}).affected_rows > 0;
}

}  // namespace molvault::molecules::molecule_repository
