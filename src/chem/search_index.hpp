#pragma once
// SearchIndex: the in-memory structure search engine (issue 6). It holds, per project, every
// molecule's screening data and its matching form, and answers exact, substructure and
// similarity queries over a set of projects; a small scope reads only its own projects' data.
//
// Layout: each project's molecules sit in chunks of up to 2,048. Per molecule, about 880 bytes
// of screening data: the substructure screen's bits, stored bit-sliced (one column per bit) so
// that a query reads only the columns of its own bits: the RDKit pattern fingerprint (2,048
// bits, read by SMARTS queries), 256 bits of elements and bonded element pairs (which SMARTS
// queries can use), and our own path keys (2,048 bits, read by SMILES queries instead of the
// pattern fingerprint, which costs more to compute for a query than the whole search;
// path_keys.hpp); the Morgan fingerprint (2,048 bits) in popcount order, so a Tanimoto
// threshold reads one contiguous run, with the popcounts of its 16 groups of 128 bits, which
// bound a row's score from 16 bytes; and hashes of the exact-search keys. Then the molecule
// ready for the substructure matcher (see MatchStore and substructure_matcher.hpp). Figures:
// bench/RESULTS.md.
//
// A substructure search screens every chunk on the calling thread, rarest bits first: a
// per-chunk summary (which 64-molecule words have each bit) rules out most words of a
// selective query before any column is read. It matches the candidates on the calling thread
// too when they are few, and over the pool when there are enough to repay waking it.
//
// Results: every query returns ALL hits in scope (there is no cap), in a stable order so that a
// caller can page by re-running the query: exact and substructure hits by molecule key
// (bytewise, i.e. UUID order), similarity hits by score descending, then molecule key. A query
// whose deadline passes stops early and says so (complete = false, with the number of molecules
// examined out of the total in scope); the hits it returns then are all the hits among the
// molecules examined.
//
// Semantics follow RDKit 2022.09 exactly: substructure = what RDKit's SubstructMatch answers
// (recursion possible, chirality only when asked, as the PostgreSQL cartridge's `@>` with
// rdkit.do_chiral_sss = false); similarity = Tanimoto on Morgan radius-2 2048-bit fingerprints
// (GetMorganFingerprintAsBitVect(m, 2, 2048), the cartridge's morganbv_fp with
// rdkit.morgan_fp_size = 2048), score >= threshold as DataStructs.TanimotoSimilarity computes
// it (two empty fingerprints score 1.0).
//
// Thread-safety: thread-safe. Any number of threads may search while others insert or remove.
// A search reads an immutable snapshot of the projects in its scope, taken under a short lock,
// so it never waits for a writer beyond that, and it sees each project as it was before or
// after any one insert()/remove() call, never half-way. Writers are serialised among
// themselves. A similarity search, and a substructure search with many candidates, spreads its
// work over the index's own thread pool (the calling thread takes part), so several searches at
// once share the pool's threads; a substructure search with few candidates stays on the calling
// thread, since waking another costs more than it saves.
//
// Errors: a query that does not parse is an expected outcome, returned as ChemError (with
// RDKit's message). std::bad_alloc and RDKit invariant violations (bugs) propagate as
// exceptions.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chem/chem_error.hpp"
#include "chem/structure.hpp"
#include "common/expected.hpp"

namespace molvault {
class WorkerPool;
}

namespace molvault::chem {

// A molecule's and a project's UUID, as its 16 bytes in RFC 4122 order. Ordered bytewise, which
// is the order of the canonical text form.
struct MoleculeKey {
    std::array<std::uint8_t, 16> bytes{};
    auto operator<=>(const MoleculeKey&) const = default;
};
struct ProjectKey {
    std::array<std::uint8_t, 16> bytes{};
    auto operator<=>(const ProjectKey&) const = default;
};

// The three exact-search keys of a structure: Structure::canonical_smiles(),
// no_stereo_smiles() and tautomer_hash().
struct ExactKeys {
    std::string canonical_smiles;
    std::string no_stereo_smiles;
    std::string tautomer_hash;
};

enum class ExactMode {
    kCanonical,  // same canonical SMILES (stereo, isotopes and charges count)
    kNoStereo,   // same canonical SMILES once stereo is removed
    kTautomer,   // same RDKit MolHash HetAtomTautomer
};

enum class QueryFormat {
    kSmiles,  // parsed and sanitized as a molecule (the cartridge's `m @> 'smiles'::mol`)
    kSmarts,  // RDKit SMARTS (the cartridge's `m @> 'smarts'::qmol`)
};

// How the index holds molecules ready to match. Measured on zinc250k (drug-like, 23 heavy atoms
// median; bench/RESULTS.md): parsed, 11.0 KB per molecule plus its MatchGraph (0.6 KB; 12.1 KB
// in all with screening) and no cost per candidate; pickled, 0.39 KB (1.07 KB in all) but each
// candidate is read back first (about 40 us), which made SMARTS queries that screening cannot
// narrow about 3 times slower. Parsed is the default; choose pickles above about a million
// molecules or where memory is short: 2M molecules take about 2.1 GiB pickled against 22 GiB
// parsed.
enum class MatchStore {
    kMolecules,  // parsed RDKit molecules
    kPickles,    // RDKit pickles, unpickled per candidate
};

struct SearchIndexOptions {
    // Threads one search may use, the calling thread included; 0 = hardware_concurrency.
    unsigned threads = 0;
    MatchStore match_store = MatchStore::kMolecules;
};

// One molecule ready to insert: fingerprints, key hashes and matching form, computed by
// SearchIndex::prepare. Cheap to move; copies share the prepared data.
class PreparedEntry {
public:
    [[nodiscard]] const MoleculeKey& molecule() const;
    [[nodiscard]] const ProjectKey& project() const;

    // The prepared data as bytes (about 900 for a drug-like molecule: fingerprints, key hashes
    // and the RDKit pickle), to store next to the molecule so that a later start-up skips the
    // fingerprinting: SearchIndex::restore() reads them back. Valid for the same RDKit version
    // and byte order only; restore() refuses others.
    [[nodiscard]] std::string to_bytes() const;

    struct Data;  // defined in search_index.cpp

private:
    friend class SearchIndex;
    explicit PreparedEntry(std::shared_ptr<const Data> data);

    std::shared_ptr<const Data> data_;
};

using SearchClock = std::chrono::steady_clock;

struct SearchHit {
    MoleculeKey molecule;
    ProjectKey project;
    double score = 1.0;  // Tanimoto for similarity; 1.0 for exact and substructure hits
};

struct SearchResult {
    std::vector<SearchHit> hits;  // all hits among the molecules examined, in result order
    bool complete = true;         // false: the deadline passed before every molecule was seen
    std::size_t examined = 0;     // molecules examined (== total when complete)
    std::size_t total = 0;        // molecules in the scope when the search started
};

struct SubstructureQuery {
    std::string text;
    QueryFormat format = QueryFormat::kSmiles;
    bool use_chirality = false;
};

struct SimilarityQuery {
    double threshold = 0.0;            // hits have Tanimoto >= threshold
    std::optional<std::size_t> top_k;  // keep only the k best (after the threshold)
};

struct SearchIndexStats {
    std::size_t molecules = 0;
    std::size_t projects = 0;
    std::size_t screening_bytes = 0;  // fingerprints, keys, ids: what a screen reads
    std::size_t matching_bytes = 0;   // molecules or pickles (parsed: an estimate, see .cpp)
};

class SearchIndex {
public:
    explicit SearchIndex(SearchIndexOptions options = {});
    SearchIndex(const SearchIndex&) = delete;
    SearchIndex& operator=(const SearchIndex&) = delete;
    ~SearchIndex();

    // Computes what the index needs for one molecule. Takes no lock and touches no index state:
    // call it from many threads at once (e.g. while reading the database at start-up), then
    // insert() the results in batches. About 4 ms of a loaded core per drug-like molecule, half
    // of it the exact keys (the tautomer hash above all): the second form takes keys already
    // known (stored next to the molecule); they must be exactly what the Structure's own
    // canonical_smiles(), no_stereo_smiles() and tautomer_hash() return, or exact search
    // misses the molecule. For a start-up, store to_bytes() and restore() instead.
    [[nodiscard]] PreparedEntry prepare(
        const MoleculeKey& molecule, const ProjectKey& project, const Structure& structure
    ) const;
    [[nodiscard]] PreparedEntry prepare(
        const MoleculeKey& molecule,
        const ProjectKey& project,
        const Structure& structure,
        const ExactKeys& keys
    ) const;

    // What prepare(...).to_bytes() returns, without building the matching form: for a writer
    // that stores the bytes beside the molecule and has no index of its own. Thread-safe.
    [[nodiscard]] static std::string entry_bytes(const Structure& structure, const ExactKeys& keys);

    // Rebuilds an entry from PreparedEntry::to_bytes() without fingerprinting (with
    // MatchStore::kPickles it does no RDKit work at all; with kMolecules it reads the pickle).
    // ChemError when the bytes are not such a record or were made by another RDKit version
    // (kOther): prepare() the structure again then.
    [[nodiscard]] Expected<PreparedEntry, ChemError> restore(
        const MoleculeKey& molecule, const ProjectKey& project, std::string_view bytes
    ) const;

    // Adds the entries, replacing any molecule already present under the same key (in any
    // project: a key moves with its entry). Within one call the last entry for a key wins.
    void insert(std::vector<PreparedEntry> entries);
    // Removes these molecules; keys not present are ignored. Returns how many were removed.
    std::size_t remove(std::span<const MoleculeKey> molecules);
    // Removes every molecule of the project. Returns how many were removed.
    std::size_t remove_project(const ProjectKey& project);

    // Molecules of `scope` whose exact key (by `mode`) equals the query's. Hits by molecule key.
    // Keys are compared by 64-bit hash, and each hash match is confirmed by computing the key
    // again on the stored molecule (a millisecond or so per hit for the tautomer hash).
    [[nodiscard]] SearchResult search_exact(
        const Structure& query,
        ExactMode mode,
        std::span<const ProjectKey> scope,
        SearchClock::time_point deadline = SearchClock::time_point::max()
    ) const;

    // Molecules of `scope` that contain the query; ChemError when the query does not parse.
    [[nodiscard]] Expected<SearchResult, ChemError> search_substructure(
        const SubstructureQuery& query,
        std::span<const ProjectKey> scope,
        SearchClock::time_point deadline = SearchClock::time_point::max()
    ) const;

    // Molecules of `scope` similar to the query, by Tanimoto on Morgan fingerprints.
    [[nodiscard]] SearchResult search_similarity(
        const Structure& query,
        const SimilarityQuery& options,
        std::span<const ProjectKey> scope,
        SearchClock::time_point deadline = SearchClock::time_point::max()
    ) const;

    // Molecules, projects and bytes held now (takes the snapshot lock briefly).
    [[nodiscard]] SearchIndexStats stats() const;

private:
    struct State;  // the projects' data and the writers' bookkeeping; search_index.cpp

    const SearchIndexOptions options_;
    std::size_t helpers_ = 0;           // pool threads one search may use besides its own
    std::unique_ptr<WorkerPool> pool_;  // those helpers; null with one thread
    std::unique_ptr<State> state_;
};

}  // namespace molvault::chem
