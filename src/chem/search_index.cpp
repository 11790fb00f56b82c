#include "chem/search_index.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <numeric>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <DataStructs/ExplicitBitVect.h>
#include <GraphMol/Fingerprints/Fingerprints.h>
#include <GraphMol/Fingerprints/MorganFingerprints.h>
#include <GraphMol/MolOps.h>
#include <GraphMol/MolPickler.h>
#include <GraphMol/QueryAtom.h>
#include <GraphMol/QueryOps.h>
#include <RDGeneral/versions.h>

#include "chem/fingerprint_kernels.hpp"
#include "chem/path_keys.hpp"
#include "chem/structure_impl.hpp"
#include "chem/substructure_matcher.hpp"
#include "common/worker_pool.hpp"

namespace molvault::chem {
namespace {

// Molecules per chunk. A chunk is the unit of parallel work and of
// copy-on-write: a write rebuilds only the chunks it touches.
constexpr std::size_t kChunkRows = 2048;
constexpr std::size_t kChunkWords = kChunkRows / 64;
constexpr std::size_t kCacheLine = 64;
// The substructure screen stops reading clauses for a word of molecules once this many in a
// row have dropped none of them: the later clauses are common bits that seldom drop any, each
// costs a cache miss, and the matcher rejects a candidate in about a microsecond.
constexpr std::size_t kScreenPatience = 16;
// The most screen clauses a query keeps, its rarest.
constexpr std::size_t kMaxClauses = 64;
// Substructure candidates below which the calling thread matches them all (a millisecond or
// two): waking a pool thread can cost about a millisecond on a virtual machine, more than it
// saves on fewer candidates.
constexpr std::size_t kParallelCandidates = 2048;
constexpr unsigned kMorganRadius = 2;
// Similarity rows scored per kernel call (the counts live on the stack).
constexpr std::size_t kScoreBatch = 256;
// The similarity bound from which a scan first rules rows out by their group counts: below
// it, too few rows fail the bound to repay reading it (zinc250k: 3x quicker at 0.7, slower at
// 0.5, where rows are scored in consecutive runs instead).
constexpr double kGroupBoundFrom = 0.6;
// Substructure candidates matched between two reads of the clock.
constexpr std::size_t kDeadlineCheckInterval = 16;
// Helper tasks one pool may have queued; beyond that a search does the work on its own thread.
constexpr std::size_t kPoolQueueLimit = 256;
// Margin that keeps the popcount bounds conservative against rounding; the score decides.
constexpr double kBoundSlack = 1e-9;

// Estimated heap footprint of a parsed RDKit molecule (atoms, bonds, graph, ring info),
// calibrated so that the average matches glibc's mallinfo2 over 20,000 zinc250k molecules
// (about 11,000 bytes for 23 heavy atoms; bench/search/engine_bench.cpp measures it again and
// bench/RESULTS.md has the figures).
constexpr std::size_t kMoleculeBaseBytes = 1'550;
constexpr std::size_t kBytesPerAtom = 240;
constexpr std::size_t kBytesPerBond = 155;

// The substructure screen's bits per molecule: the RDKit pattern fingerprint, which SMARTS
// queries read; our own features, which SMARTS queries (whose atoms the pattern fingerprint
// mostly skips) can use: one bit per element present, and one per bonded element pair (hashed
// into 128 bits); then the path keys (path_keys.hpp), which SMILES queries read instead of
// the pattern fingerprint.
constexpr std::size_t kElementBits = 128;
constexpr std::size_t kPairBits = 128;
constexpr std::size_t kPathKeysOffset = kFingerprintBits + kElementBits + kPairBits;
constexpr std::size_t kScreenBits = kPathKeysOffset + kPathKeyBits;
constexpr std::size_t kScreenWords = kScreenBits / 64;
// Pair clauses wider than this (query atoms allowing many elements) screen too little to read.
constexpr std::size_t kMaxPairClause = 16;

using Fingerprint = std::array<std::uint64_t, kFingerprintWords>;
using ScreenBits = std::array<std::uint64_t, kScreenWords>;
using KeyHashes = std::array<std::uint64_t, 3>;  // by ExactMode

// std::vector storage aligned to a cache line, so that column blocks are whole lines.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <class U>
    explicit CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{kCacheLine}));
    }
    void deallocate(T* p, std::size_t n) {
        ::operator delete (p, n * sizeof(T), std::align_val_t{kCacheLine});
    }
    bool operator==(const CacheLineAllocator& /*other*/) const { return true; }
};
using Words = std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>>;

struct KeyHasher {
    template <class Key>
    std::size_t operator()(const Key& key) const {
        // UUIDs are random enough; fold the two halves.
        std::uint64_t high = 0;
        std::uint64_t low = 0;
        std::memcpy(&high, key.bytes.data(), sizeof high);
        std::memcpy(&low, key.bytes.data() + sizeof high, sizeof low);
        return static_cast<std::size_t>(high ^ (low * 0x9E3779B97F4A7C15ULL));
    }
};

std::uint64_t hash_key(std::string_view key) { return std::hash<std::string_view>{}(key); }

Fingerprint to_words(const ExplicitBitVect& bits) {
    Fingerprint words{};
    std::vector<int> on;
    bits.getOnBits(on);
    for (const int bit : on) {
        const auto index = static_cast<std::size_t>(bit);
        words[index / 64] |= std::uint64_t{1} << (index % 64);
    }
    return words;
}

Fingerprint pattern_fingerprint(const RDKit::ROMol& mol) {
    const std::unique_ptr<ExplicitBitVect> bits(
        RDKit::PatternFingerprintMol(mol, static_cast<unsigned>(kFingerprintBits))
    );
    return to_words(*bits);
}

Fingerprint morgan_fingerprint(const RDKit::ROMol& mol) {
    const std::unique_ptr<ExplicitBitVect> bits(RDKit::MorganFingerprints::getFingerprintAsBitVect(
        mol, kMorganRadius, static_cast<unsigned>(kFingerprintBits)
    ));
    return to_words(*bits);
}

std::size_t element_bit(int atomic_number) {
    return kFingerprintBits + static_cast<std::size_t>(atomic_number);
}

std::size_t pair_bit(int a, int b) {
    const auto low = static_cast<std::size_t>(std::min(a, b));
    const auto high = static_cast<std::size_t>(std::max(a, b));
    return kFingerprintBits + kElementBits + (low * 131 + high) % kPairBits;
}

void set_bit(ScreenBits& bits, std::size_t bit) {
    bits[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

void set_path_keys(ScreenBits& bits, const PathKeys& keys) {
    std::copy(keys.begin(), keys.end(), bits.begin() + kPathKeysOffset / 64);
}

// The screen bits of a molecule: pattern fingerprint, elements, bonded element pairs, paths.
ScreenBits screen_bits(const RDKit::ROMol& mol) {
    ScreenBits bits{};
    const auto pattern = pattern_fingerprint(mol);
    std::copy(pattern.begin(), pattern.end(), bits.begin());
    for (const auto* atom : mol.atoms()) {
        if (atom->getAtomicNum() < static_cast<int>(kElementBits)) {
            set_bit(bits, element_bit(atom->getAtomicNum()));
        }
    }
    for (const auto* bond : mol.bonds()) {
        set_bit(
            bits, pair_bit(bond->getBeginAtom()->getAtomicNum(), bond->getEndAtom()->getAtomicNum())
        );
    }
    set_path_keys(bits, target_path_keys(mol));
    return bits;
}

// The elements a query atom can match, or std::nullopt when that is not limited or not known
// (wildcards, negations, recursion, anything this does not read). Errs towards nullopt: a set
// that is too small would drop true hits.
using Elements = std::optional<std::vector<int>>;

Elements elements_of(const RDKit::QueryAtom::QUERYATOM_QUERY& query) {
    if (query.getNegation()) {
        return std::nullopt;
    }
    const auto& description = query.getDescription();
    if (description == "AtomAtomicNum" || description == "AtomType") {
        const auto* equals = dynamic_cast<const RDKit::ATOM_EQUALS_QUERY*>(&query);
        if (equals == nullptr) {
            return std::nullopt;
        }
        int number = equals->getVal();
        if (description == "AtomType") {
            bool aromatic = false;
            RDKit::parseAtomType(equals->getVal(), number, aromatic);
        }
        if (number <= 0 || number >= static_cast<int>(kElementBits)) {
            return std::nullopt;
        }
        return std::vector<int>{number};
    }
    const bool all = description == "AtomAnd";
    if (!all && description != "AtomOr") {
        return std::nullopt;
    }
    Elements result;
    bool first = true;
    for (auto child = query.beginChildren(); child != query.endChildren(); ++child) {
        const auto elements = elements_of(**child);
        if (all) {
            if (!elements) {
                continue;  // no limit from this side of the AND
            }
            if (!result) {
                result = elements;
            } else {
                std::vector<int> both;
                std::set_intersection(
                    result->begin(),
                    result->end(),
                    elements->begin(),
                    elements->end(),
                    std::back_inserter(both)
                );
                result = std::move(both);
            }
        } else {
            if (!elements) {
                return std::nullopt;  // one side of the OR matches anything
            }
            if (first) {
                result = elements;
            } else {
                std::vector<int> either;
                std::set_union(
                    result->begin(),
                    result->end(),
                    elements->begin(),
                    elements->end(),
                    std::back_inserter(either)
                );
                result = std::move(either);
            }
        }
        first = false;
    }
    return result;
}

Elements elements_of(const RDKit::Atom& atom) {
    if (atom.hasQuery()) {
        return elements_of(*atom.getQuery());
    }
    // A plain atom (SMILES query) matches its own element; a dummy atom is not limited.
    if (atom.getAtomicNum() <= 0 || atom.getAtomicNum() >= static_cast<int>(kElementBits)) {
        return std::nullopt;
    }
    return std::vector<int>{atom.getAtomicNum()};
}

// How many molecules of the index set each screen bit.
using BitCounts = std::array<std::atomic<std::uint32_t>, kScreenBits>;

// A query's screen clauses, as one flat list: clause i is bits[ends[i - 1]] to
// bits[ends[i] - 1] (from bits[0] for the first). A molecule passes a clause when it has any
// of its bits.
struct Clauses {
    std::vector<std::uint32_t> bits;
    std::vector<std::uint32_t> ends;
};

// The clauses of what a query's atoms allow: for each atom its elements, for each bond the
// element pairs; one-bit clauses into `single`, the others into `wider`.
void add_atom_clauses(
    const RDKit::ROMol& query, ScreenBits& single, std::vector<std::vector<std::uint32_t>>& wider
) {
    const auto add = [&single, &wider](std::vector<std::uint32_t> clause) {
        std::sort(clause.begin(), clause.end());
        clause.erase(std::unique(clause.begin(), clause.end()), clause.end());
        if (clause.size() == 1) {
            set_bit(single, clause.front());
        } else {
            wider.push_back(std::move(clause));
        }
    };
    std::vector<Elements> elements;
    for (const auto* atom : query.atoms()) {
        elements.push_back(elements_of(*atom));
        if (elements.back()) {
            std::vector<std::uint32_t> clause;
            for (const int element : *elements.back()) {
                clause.push_back(static_cast<std::uint32_t>(element_bit(element)));
            }
            add(std::move(clause));
        }
    }
    for (const auto* bond : query.bonds()) {
        const auto& a = elements[bond->getBeginAtomIdx()];
        const auto& b = elements[bond->getEndAtomIdx()];
        if (!a || !b || a->size() * b->size() > kMaxPairClause) {
            continue;
        }
        std::vector<std::uint32_t> clause;
        for (const int x : *a) {
            for (const int y : *b) {
                clause.push_back(static_cast<std::uint32_t>(pair_bit(x, y)));
            }
        }
        add(std::move(clause));
    }
}

// What every molecule containing the query must have: for SMILES, the query's path keys and
// elements; for SMARTS, its pattern bits and what its atoms allow (add_atom_clauses; every
// query bond maps to a bond of the molecule). Rarest in the index first, so the first few
// usually rule out most molecules; a clause's frequency is taken as the sum over its bits (an
// upper bound).
Clauses screen_clauses(const RDKit::ROMol& query, QueryFormat format, const BitCounts& counts) {
    ScreenBits single{};  // one-bit clauses
    std::vector<std::vector<std::uint32_t>> wider;
    if (format == QueryFormat::kSmiles) {
        // Plain atoms: the path keys say all that element pairs would, and more.
        set_path_keys(single, query_path_keys(query));
        for (const auto* atom : query.atoms()) {
            const int element = atom->getAtomicNum();
            if (!atom->hasQuery() && element > 0 && element < static_cast<int>(kElementBits)) {
                set_bit(single, element_bit(element));
            }
        }
    } else {
        const auto pattern = pattern_fingerprint(query);
        std::copy(pattern.begin(), pattern.end(), single.begin());
        add_atom_clauses(query, single, wider);
    }
    std::sort(wider.begin(), wider.end());
    wider.erase(std::unique(wider.begin(), wider.end()), wider.end());

    // (frequency, clause): a one-bit clause by its bit, a wider one by kScreenBits + index.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (std::size_t word = 0; word < kScreenWords; ++word) {
        for (std::uint64_t set = single[word]; set != 0; set &= set - 1) {
            const auto bit = static_cast<std::uint32_t>(word * 64 + std::countr_zero(set));
            order.emplace_back(counts[bit].load(std::memory_order_relaxed), bit);
        }
    }
    for (std::size_t i = 0; i < wider.size(); ++i) {
        std::uint64_t frequency = 0;
        for (const auto bit : wider[i]) {
            frequency += counts[bit].load(std::memory_order_relaxed);
        }
        order.emplace_back(frequency, static_cast<std::uint32_t>(kScreenBits + i));
    }
    // Only the rarest clauses are worth reading: past them the screen would seldom drop a
    // molecule the matcher does not reject at once.
    const auto kept = std::min(order.size(), kMaxClauses);
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end()
    );
    order.resize(kept);
    Clauses clauses;
    for (const auto& [frequency, clause] : order) {
        if (clause < kScreenBits) {
            clauses.bits.push_back(clause);
        } else {
            const auto& bits = wider[clause - kScreenBits];
            clauses.bits.insert(clauses.bits.end(), bits.begin(), bits.end());
        }
        clauses.ends.push_back(static_cast<std::uint32_t>(clauses.bits.size()));
    }
    return clauses;
}

unsigned popcount(const Fingerprint& fingerprint) {
    unsigned count = 0;
    for (const auto word : fingerprint) {
        count += static_cast<unsigned>(std::popcount(word));
    }
    return count;
}

// The molecule as the matcher sees it: parsed (shared between chunk versions) or pickled.
struct MatchForm {
    std::shared_ptr<const RDKit::ROMol> molecule;
    MatchGraph graph;  // the parsed molecule's
    std::string pickle;
    std::size_t bytes = 0;  // footprint (parsed: estimated)
};

bool contains(const MatchForm& form, SubstructureMatcher& matcher) {
    if (form.molecule) {
        return matcher.matches(*form.molecule, form.graph);
    }
    RDKit::ROMol mol;
    RDKit::MolPickler::molFromPickle(form.pickle, mol);
    return matcher.matches(mol);
}

Structure to_structure(const MatchForm& form) {
    if (form.molecule) {
        return StructureAccess::make(std::make_unique<RDKit::ROMol>(*form.molecule));
    }
    auto mol = std::make_unique<RDKit::ROMol>();
    RDKit::MolPickler::molFromPickle(form.pickle, *mol);
    return StructureAccess::make(std::move(mol));
}

std::string exact_key(const Structure& structure, ExactMode mode) {
    switch (mode) {
        case ExactMode::kCanonical:
            return structure.canonical_smiles();
        case ExactMode::kNoStereo:
            return structure.no_stereo_smiles();
        case ExactMode::kTautomer:
            return structure.tautomer_hash();
    }
    return structure.canonical_smiles();
}

// One molecule in row form: what a chunk is built from and taken apart into.
struct Row {
    MoleculeKey molecule;
    ScreenBits screen{};
    Fingerprint morgan{};
    KeyHashes key_hashes{};
    MatchForm match;
};

// Up to kChunkRows molecules of one project, immutable once built.
struct Chunk {
    std::size_t rows = 0;
    std::size_t stride = 0;  // words per screen column: room for stride * 64 molecules
    std::vector<MoleculeKey> ids;
    // Bit-sliced screen bits: bit b of molecule r is bit r % 64 of screen[b * stride + r / 64].
    // A query reads only the columns of its own bits.
    Words screen;
    // Per screen bit, which words of its column are not zero (stride <= 32): a selective
    // query rules out most of a chunk from these 17 KB before it reads any column. Empty
    // when the chunk is one word wide: its columns are then their own summary.
    std::vector<std::uint32_t> summary;
    // Morgan fingerprints in ascending popcount order, kFingerprintWords words each, so a
    // threshold's popcount bounds select one contiguous range.
    Words morgan;
    std::vector<std::uint16_t> morgan_counts;  // ascending
    std::vector<std::uint16_t> morgan_rows;    // row of each position in `morgan`
    std::vector<GroupCounts> morgan_groups;    // of each position in `morgan`
    std::vector<KeyHashes> key_hashes;
    std::vector<MatchForm> match;
    std::size_t screening_bytes = 0;
    std::size_t matching_bytes = 0;
};

std::shared_ptr<const Chunk> build_chunk(std::vector<Row> rows) {
    auto chunk = std::make_shared<Chunk>();
    const std::size_t n = rows.size();
    chunk->rows = n;
    chunk->stride = std::min(kChunkWords, std::bit_ceil((n + 63) / 64));
    chunk->screen.assign(kScreenBits * chunk->stride, 0);
    for (std::size_t row = 0; row < n; ++row) {
        const std::uint64_t row_bit = std::uint64_t{1} << (row % 64);
        for (std::size_t word = 0; word < kScreenWords; ++word) {
            for (std::uint64_t bits = rows[row].screen[word]; bits != 0; bits &= bits - 1) {
                const std::size_t bit =
                    word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
                chunk->screen[bit * chunk->stride + row / 64] |= row_bit;
            }
        }
    }
    if (chunk->stride > 1) {
        chunk->summary.assign(kScreenBits, 0);
        for (std::size_t bit = 0; bit < kScreenBits; ++bit) {
            for (std::size_t word = 0; word < chunk->stride; ++word) {
                if (chunk->screen[bit * chunk->stride + word] != 0) {
                    chunk->summary[bit] |= std::uint32_t{1} << word;
                }
            }
        }
    }
    std::vector<std::uint16_t> counts(n);
    std::vector<std::uint16_t> order(n);
    for (std::size_t row = 0; row < n; ++row) {
        counts[row] = static_cast<std::uint16_t>(popcount(rows[row].morgan));
        order[row] = static_cast<std::uint16_t>(row);
    }
    std::stable_sort(order.begin(), order.end(), [&counts](std::uint16_t a, std::uint16_t b) {
        return counts[a] < counts[b];
    });
    chunk->morgan.resize(n * kFingerprintWords);
    chunk->morgan_counts.reserve(n);
    chunk->morgan_rows = order;
    for (std::size_t position = 0; position < n; ++position) {
        const auto& fingerprint = rows[order[position]].morgan;
        std::copy(
            fingerprint.begin(),
            fingerprint.end(),
            chunk->morgan.begin() + static_cast<std::ptrdiff_t>(position * kFingerprintWords)
        );
        chunk->morgan_counts.push_back(counts[order[position]]);
        chunk->morgan_groups.push_back(group_counts(fingerprint.data()));
    }
    chunk->ids.reserve(n);
    chunk->key_hashes.reserve(n);
    chunk->match.reserve(n);
    for (auto& row : rows) {
        chunk->ids.push_back(row.molecule);
        chunk->key_hashes.push_back(row.key_hashes);
        chunk->matching_bytes += row.match.bytes;
        chunk->match.push_back(std::move(row.match));
    }
    chunk->screening_bytes =
        sizeof(Chunk) + (chunk->screen.size() + chunk->morgan.size()) * 8 +
        chunk->morgan_groups.size() * sizeof(GroupCounts) +
        chunk->summary.size() * sizeof(std::uint32_t) +
        n * (2 * sizeof(std::uint16_t) + sizeof(MoleculeKey) + sizeof(KeyHashes));
    return chunk;
}

std::vector<Row> take_apart(const Chunk& chunk) {
    std::vector<Row> rows(chunk.rows);
    for (std::size_t bit = 0; bit < kScreenBits; ++bit) {
        const std::uint64_t fingerprint_bit = std::uint64_t{1} << (bit % 64);
        for (std::size_t word = 0; word < chunk.stride; ++word) {
            for (std::uint64_t members = chunk.screen[bit * chunk.stride + word]; members != 0;
                 members &= members - 1) {
                const std::size_t row =
                    word * 64 + static_cast<std::size_t>(std::countr_zero(members));
                rows[row].screen[bit / 64] |= fingerprint_bit;
            }
        }
    }
    for (std::size_t position = 0; position < chunk.rows; ++position) {
        auto& row = rows[chunk.morgan_rows[position]];
        const auto* words = chunk.morgan.data() + position * kFingerprintWords;
        std::copy(words, words + kFingerprintWords, row.morgan.begin());
    }
    for (std::size_t row = 0; row < chunk.rows; ++row) {
        rows[row].molecule = chunk.ids[row];
        rows[row].key_hashes = chunk.key_hashes[row];
        rows[row].match = chunk.match[row];
    }
    return rows;
}

// One project's molecules, immutable once published.
struct Segment {
    std::vector<std::shared_ptr<const Chunk>> chunks;
    std::size_t rows = 0;
};

// Runs body(i) for every i in [0, count) on the calling thread and up to `helpers` pool
// threads, which take items from a shared counter; returns when every item has run and
// rethrows the first exception a body threw. A helper that starts after the last item was
// taken finds nothing to do and never calls body, so body may refer to the caller's stack.
void parallel_for(
    WorkerPool* pool,
    std::size_t helpers,
    std::size_t count,
    const std::function<void(std::size_t)>& body
) {
    struct Shared {
        std::function<void(std::size_t)> body;
        std::size_t count = 0;
        std::atomic<std::size_t> next{0};
        std::mutex mutex;
        std::condition_variable all_done;
        std::size_t done = 0;
        std::exception_ptr error;
    };
    auto shared = std::make_shared<Shared>();
    shared->body = body;
    shared->count = count;
    const auto work = [](Shared& s) {
        std::size_t finished = 0;
        for (std::size_t i = s.next.fetch_add(1); i < s.count; i = s.next.fetch_add(1)) {
            try {
                s.body(i);
            } catch (...) {
                const std::lock_guard lock(s.mutex);
                if (!s.error) {
                    s.error = std::current_exception();
                }
            }
            ++finished;
        }
        if (finished > 0) {
            const std::lock_guard lock(s.mutex);
            s.done += finished;
            if (s.done == s.count) {
                s.all_done.notify_all();
            }
        }
    };
    if (pool != nullptr) {
        const std::size_t wanted = std::min(helpers, count > 0 ? count - 1 : 0);
        for (std::size_t i = 0; i < wanted; ++i) {
            if (!pool->try_submit([shared, work] { work(*shared); })) {
                break;
            }
        }
    }
    work(*shared);
    std::unique_lock lock(shared->mutex);
    shared->all_done.wait(lock, [&shared] { return shared->done == shared->count; });
    if (shared->error) {
        std::rethrow_exception(shared->error);
    }
}

// Narrows `alive` by the clauses (rarest first), reading each clause's bits with `any_of`:
// stops when nothing is left or when kScreenPatience clauses in a row changed nothing.
template <class Mask, class AnyOf>
Mask narrow(Mask alive, const Clauses& clauses, const AnyOf& any_of) {
    std::size_t unchanged = 0;
    std::size_t bit = 0;
    for (const auto end : clauses.ends) {
        Mask any = 0;
        for (; bit < end; ++bit) {
            any |= any_of(clauses.bits[bit]);
        }
        const Mask before = alive;
        alive &= any;
        if (alive == 0) {
            break;
        }
        unchanged = alive == before ? unchanged + 1 : 0;
        if (unchanged == kScreenPatience) {
            break;
        }
    }
    return alive;
}

// The substructure screen of one chunk: the rows that may contain the query. First the
// chunk's summary rules out 64-molecule words, then each remaining word's columns rule out
// rows, so a selective query reads a few cache lines per chunk.
std::vector<std::uint32_t> screen(const Chunk& chunk, const Clauses& clauses) {
    std::vector<std::uint32_t> candidates;
    const std::uint32_t all_words =
        chunk.stride == 32 ? ~std::uint32_t{0} : (std::uint32_t{1} << chunk.stride) - 1;
    for (std::uint32_t words =
             chunk.summary.empty()
                 ? all_words
                 : narrow(
                       all_words, clauses, [&chunk](std::size_t bit) { return chunk.summary[bit]; }
                   );
         words != 0;
         words &= words - 1) {
        const auto word = static_cast<std::size_t>(std::countr_zero(words));
        if (word * 64 >= chunk.rows) {
            break;  // a query without clauses keeps every word
        }
        const std::size_t in_word = std::min<std::size_t>(64, chunk.rows - word * 64);
        const std::uint64_t rows =
            in_word == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << in_word) - 1;
        const std::uint64_t alive = narrow(rows, clauses, [&chunk, word](std::size_t bit) {
            return chunk.screen[bit * chunk.stride + word];
        });
        for (std::uint64_t set = alive; set != 0; set &= set - 1) {
            candidates.push_back(static_cast<std::uint32_t>(
                word * 64 + static_cast<std::size_t>(std::countr_zero(set))
            ));
        }
    }
    return candidates;
}

// Matches a chunk's screened candidates, adding the hits; returns the rows examined: all of
// them, or those before the candidate at which the deadline passed.
std::size_t match_candidates(
    const Chunk& chunk,
    const std::vector<std::uint32_t>& candidates,
    SubstructureMatcher& matcher,
    const ProjectKey& project,
    SearchClock::time_point deadline,
    std::vector<SearchHit>& hits
) {
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (c % kDeadlineCheckInterval == kDeadlineCheckInterval - 1 &&
            SearchClock::now() >= deadline) {
            return candidates[c];  // rows before it: screened or matched
        }
        const auto row = candidates[c];
        if (contains(chunk.match[row], matcher)) {
            hits.push_back(SearchHit{chunk.ids[row], project, 1.0});
        }
    }
    return chunk.rows;
}

bool by_molecule(const SearchHit& a, const SearchHit& b) { return a.molecule < b.molecule; }

bool by_score(const SearchHit& a, const SearchHit& b) {
    if (a.score != b.score) {
        return a.score > b.score;
    }
    return a.molecule < b.molecule;
}

// The query side of a substructure search: the RDKit query molecule.
Expected<std::unique_ptr<RDKit::ROMol>, ChemError> parse_query(const SubstructureQuery& query) {
    if (query.format == QueryFormat::kSmarts) {
        auto parsed = parse_smarts(query.text);
        if (!parsed) {
            return Unexpected(parsed.error());
        }
        std::unique_ptr<RDKit::ROMol> mol = std::move(parsed).value();
        // The pattern fingerprint of a query needs its ring information.
        mol->updatePropertyCache(false);
        if (!mol->getRingInfo()->isInitialized()) {
            RDKit::MolOps::fastFindRings(*mol);
        }
        return mol;
    }
    // Without chirality the query's stereo does not matter: perceiving it the fast way keeps a
    // long chain from costing a minute of CPU before the deadline can apply.
    auto parsed = parse_smiles_mol(
        query.text, {}, query.use_chirality ? StereoPerception::kLegacy : StereoPerception::kFast
    );
    if (!parsed) {
        return Unexpected(parsed.error());
    }
    return std::unique_ptr<RDKit::ROMol>(std::move(parsed).value());
}

}  // namespace

struct PreparedEntry::Data {
    ProjectKey project;
    Row row;
    std::string pickle;  // for to_bytes(), whatever the match store
};

namespace {

// PreparedEntry::to_bytes(): kBytesMagic, the RDKit version (one length byte, then the text),
// the screen bits, the Morgan fingerprint and the key hashes in host byte order, the pickle.
// Entries written before the path keys (kBytesMagicWithoutPaths) have the same layout with
// the screen bits up to kPathKeysOffset; restore() computes their path keys from the pickle.
constexpr std::string_view kBytesMagic = "MVS2";
constexpr std::string_view kBytesMagicWithoutPaths = "MVS1";
static_assert(kBytesMagic.size() == kBytesMagicWithoutPaths.size());
constexpr std::size_t kFixedBytes = sizeof(ScreenBits) + sizeof(Fingerprint) + sizeof(KeyHashes);

std::string_view rdkit_version() { return RDKit::rdkitVersion; }

// Completes an entry from its pickle: the molecule ready to match as the store wants it.
// `mol` is the pickle read back, when the caller already has it.
std::shared_ptr<PreparedEntry::Data> finish_entry(
    std::shared_ptr<PreparedEntry::Data> data, MatchStore store, std::shared_ptr<RDKit::ROMol> mol
) {
    auto& match = data->row.match;
    if (store == MatchStore::kMolecules) {
        if (!mol) {
            mol = std::make_shared<RDKit::ROMol>();
            RDKit::MolPickler::molFromPickle(data->pickle, *mol);
        }
        match.graph = MatchGraph(*mol);
        match.bytes = kMoleculeBaseBytes + kBytesPerAtom * mol->getNumAtoms() +
                      kBytesPerBond * mol->getNumBonds() + match.graph.bytes();
        match.molecule = std::move(mol);
    } else {
        match.pickle = data->pickle;
        match.pickle.shrink_to_fit();
        match.bytes = sizeof(MatchForm) + match.pickle.capacity();
    }
    return data;
}

}  // namespace

std::string PreparedEntry::to_bytes() const {
    const auto version = rdkit_version();
    std::string bytes(kBytesMagic);
    bytes.push_back(static_cast<char>(version.size()));
    bytes.append(version);
    const auto offset = bytes.size();
    bytes.resize(offset + kFixedBytes);
    char* out = bytes.data() + offset;
    std::memcpy(out, data_->row.screen.data(), sizeof(ScreenBits));
    std::memcpy(out + sizeof(ScreenBits), data_->row.morgan.data(), sizeof(Fingerprint));
    std::memcpy(
        out + sizeof(ScreenBits) + sizeof(Fingerprint),
        data_->row.key_hashes.data(),
        sizeof(KeyHashes)
    );
    bytes.append(data_->pickle);
    return bytes;
}

PreparedEntry::PreparedEntry(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
const MoleculeKey& PreparedEntry::molecule() const { return data_->row.molecule; }
const ProjectKey& PreparedEntry::project() const { return data_->project; }

struct SearchIndex::State {
    // Guards `segments` against a writer swapping pointers while a search copies them; held
    // only for that. Writers read `segments` without it (they are serialised by write_mutex).
    mutable std::mutex snapshot_mutex;
    std::unordered_map<ProjectKey, std::shared_ptr<const Segment>, KeyHasher> segments;

    std::mutex write_mutex;
    struct Location {
        ProjectKey project;
        const Chunk* chunk = nullptr;
    };
    std::unordered_map<MoleculeKey, Location, KeyHasher> locations;  // under write_mutex

    // How many molecules set each screen bit, over the whole index: the screen reads a
    // query's rarest bits first. Approximate by design (updated without the snapshot lock).
    BitCounts bit_counts{};

    // The segments a write is building, copied from the published ones on first touch.
    using Draft = std::unordered_map<ProjectKey, std::shared_ptr<Segment>, KeyHasher>;

    Segment& draft_of(Draft& draft, const ProjectKey& project) {
        auto& slot = draft[project];
        if (!slot) {
            const auto published = segments.find(project);
            slot = published == segments.end() ? std::make_shared<Segment>()
                                               : std::make_shared<Segment>(*published->second);
        }
        return *slot;
    }

    void count_bits(const Row& row, bool add) {
        for (std::size_t word = 0; word < kScreenWords; ++word) {
            for (std::uint64_t bits = row.screen[word]; bits != 0; bits &= bits - 1) {
                auto& counter =
                    bit_counts[word * 64 + static_cast<std::size_t>(std::countr_zero(bits))];
                if (add) {
                    counter.fetch_add(1, std::memory_order_relaxed);
                } else {
                    counter.fetch_sub(1, std::memory_order_relaxed);
                }
            }
        }
    }

    void place(const std::shared_ptr<const Chunk>& chunk, const ProjectKey& project) {
        for (const auto& id : chunk->ids) {
            locations[id] = Location{project, chunk.get()};
        }
    }

    // Takes the molecules out of the draft; returns how many were present.
    std::size_t remove_rows(Draft& draft, std::span<const MoleculeKey> molecules) {
        std::unordered_map<const Chunk*, std::unordered_set<MoleculeKey, KeyHasher>> by_chunk;
        std::unordered_map<const Chunk*, ProjectKey> project_of;
        for (const auto& id : molecules) {
            const auto found = locations.find(id);
            if (found != locations.end()) {
                by_chunk[found->second.chunk].insert(id);
                project_of[found->second.chunk] = found->second.project;
            }
        }
        std::size_t removed = 0;
        for (const auto& [old_chunk, ids] : by_chunk) {
            const auto& project = project_of[old_chunk];
            auto& segment = draft_of(draft, project);
            const auto slot = std::find_if(
                segment.chunks.begin(),
                segment.chunks.end(),
                [chunk = old_chunk](const auto& c) { return c.get() == chunk; }
            );
            std::vector<Row> kept;
            for (auto& row : take_apart(**slot)) {
                if (ids.contains(row.molecule)) {
                    count_bits(row, false);
                    locations.erase(row.molecule);
                    ++removed;
                } else {
                    kept.push_back(std::move(row));
                }
            }
            segment.rows -= (*slot)->rows - kept.size();
            if (kept.empty()) {
                segment.chunks.erase(slot);
            } else {
                *slot = build_chunk(std::move(kept));
                place(*slot, project);
            }
        }
        return removed;
    }

    // Appends rows to the project's last chunk while it has room, then to new chunks.
    void append_rows(Draft& draft, const ProjectKey& project, std::vector<Row> rows) {
        auto& segment = draft_of(draft, project);
        std::size_t next = 0;
        while (next < rows.size()) {
            std::vector<Row> chunk_rows;
            const bool fill_last =
                !segment.chunks.empty() && segment.chunks.back()->rows < kChunkRows;
            if (fill_last) {
                chunk_rows = take_apart(*segment.chunks.back());
            }
            const std::size_t take = std::min(kChunkRows - chunk_rows.size(), rows.size() - next);
            for (std::size_t i = 0; i < take; ++i) {
                count_bits(rows[next + i], true);
                chunk_rows.push_back(std::move(rows[next + i]));
            }
            next += take;
            segment.rows += take;
            auto chunk = build_chunk(std::move(chunk_rows));
            place(chunk, project);
            if (fill_last) {
                segment.chunks.back() = std::move(chunk);
            } else {
                segment.chunks.push_back(std::move(chunk));
            }
        }
    }

    void publish(Draft& draft) {
        const std::lock_guard lock(snapshot_mutex);
        for (auto& [project, segment] : draft) {
            if (segment->rows == 0) {
                segments.erase(project);
            } else {
                segments[project] = std::move(segment);
            }
        }
    }

    // The scope's published segments, each project once.
    struct Work {
        ProjectKey project;
        const Chunk* chunk = nullptr;
    };
    struct Snapshot {
        std::vector<std::shared_ptr<const Segment>> segments;  // keeps `work` alive
        std::vector<Work> work;
        std::size_t total = 0;
    };
    Snapshot snapshot(std::span<const ProjectKey> scope) const {
        std::vector<ProjectKey> projects(scope.begin(), scope.end());
        std::sort(projects.begin(), projects.end());
        projects.erase(std::unique(projects.begin(), projects.end()), projects.end());
        Snapshot snap;
        std::vector<ProjectKey> found;
        {
            const std::lock_guard lock(snapshot_mutex);
            for (const auto& project : projects) {
                const auto segment = segments.find(project);
                if (segment != segments.end()) {
                    snap.segments.push_back(segment->second);
                    found.push_back(project);
                }
            }
        }
        for (std::size_t i = 0; i < snap.segments.size(); ++i) {
            for (const auto& chunk : snap.segments[i]->chunks) {
                snap.work.push_back(Work{found[i], chunk.get()});
            }
            snap.total += snap.segments[i]->rows;
        }
        return snap;
    }

    // What one chunk of a snapshot gave: the rows examined (from its first) and their hits.
    struct Part {
        std::size_t examined = 0;
        std::vector<SearchHit> hits;
    };

    // Runs scan on every chunk of the snapshot, spread over the pool, skipping chunks once the
    // deadline has passed. scan returns how many of its chunk's rows, from the first, it
    // examined (fewer than all when it gave up at the deadline), and its hits are all among
    // those. The result holds every hit found, unordered.
    using Scan = std::function<std::size_t(const Work&, std::vector<SearchHit>&)>;
    static SearchResult run(
        WorkerPool* pool,
        std::size_t helpers,
        const Snapshot& snap,
        SearchClock::time_point deadline,
        const Scan& scan
    ) {
        std::vector<Part> parts(snap.work.size());
        parallel_for(pool, helpers, parts.size(), [&snap, &parts, &scan, deadline](std::size_t i) {
            if (SearchClock::now() < deadline) {
                parts[i].examined = scan(snap.work[i], parts[i].hits);
            }
        });
        return collect(snap, parts);
    }

    static SearchResult collect(const Snapshot& snap, const std::vector<Part>& parts) {
        SearchResult result;
        result.total = snap.total;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            result.complete = result.complete && parts[i].examined == snap.work[i].chunk->rows;
            result.examined += parts[i].examined;
            result.hits.insert(result.hits.end(), parts[i].hits.begin(), parts[i].hits.end());
        }
        return result;
    }
};

SearchIndex::SearchIndex(SearchIndexOptions options)
    : options_(options), state_(std::make_unique<State>()) {
    const unsigned threads = options_.threads != 0
                                 ? options_.threads
                                 : std::max(1U, std::thread::hardware_concurrency());
    helpers_ = threads - 1;
    if (helpers_ > 0) {
        pool_ = std::make_unique<WorkerPool>(static_cast<int>(helpers_), kPoolQueueLimit);
    }
}

SearchIndex::~SearchIndex() = default;

PreparedEntry SearchIndex::prepare(
    const MoleculeKey& molecule, const ProjectKey& project, const Structure& structure
) const {
    return prepare(
        molecule,
        project,
        structure,
        ExactKeys{
            structure.canonical_smiles(), structure.no_stereo_smiles(), structure.tautomer_hash()}
    );
}

namespace {

// What prepare() computes, before the matching form: key hashes, fingerprints and the pickle.
// Fingerprints come from the very form the matcher will see: the molecule read back from its
// pickle (no computed properties, ring information kept), returned in `mol`.
std::shared_ptr<PreparedEntry::Data> prepared_data(
    const Structure& structure, const ExactKeys& keys, std::shared_ptr<RDKit::ROMol>& mol
) {
    auto data = std::make_shared<PreparedEntry::Data>();
    auto& row = data->row;
    row.key_hashes = {
        hash_key(keys.canonical_smiles),
        hash_key(keys.no_stereo_smiles),
        hash_key(keys.tautomer_hash)};
    data->pickle = structure.to_pickle();
    mol = std::make_shared<RDKit::ROMol>();
    RDKit::MolPickler::molFromPickle(data->pickle, *mol);
    row.screen = screen_bits(*mol);
    row.morgan = morgan_fingerprint(*mol);
    return data;
}

}  // namespace

PreparedEntry SearchIndex::prepare(
    const MoleculeKey& molecule,
    const ProjectKey& project,
    const Structure& structure,
    const ExactKeys& keys
) const {
    std::shared_ptr<RDKit::ROMol> mol;
    auto data = prepared_data(structure, keys, mol);
    data->project = project;
    data->row.molecule = molecule;
    return PreparedEntry(finish_entry(std::move(data), options_.match_store, std::move(mol)));
}

std::string SearchIndex::entry_bytes(const Structure& structure, const ExactKeys& keys) {
    std::shared_ptr<RDKit::ROMol> mol;
    return PreparedEntry(prepared_data(structure, keys, mol)).to_bytes();
}

Expected<PreparedEntry, ChemError> SearchIndex::restore(
    const MoleculeKey& molecule, const ProjectKey& project, std::string_view bytes
) const {
    const auto version = rdkit_version();
    const std::size_t header = kBytesMagic.size() + 1 + version.size();
    const bool with_paths = bytes.starts_with(kBytesMagic);
    const std::size_t screen_bytes = with_paths ? sizeof(ScreenBits) : kPathKeysOffset / 8;
    const std::size_t fixed_bytes = kFixedBytes - sizeof(ScreenBits) + screen_bytes;
    if (bytes.size() <= header + fixed_bytes ||
        !(with_paths || bytes.starts_with(kBytesMagicWithoutPaths))) {
        return Unexpected(ChemError{ChemError::kSyntax, "not a prepared search entry", std::nullopt}
        );
    }
    if (static_cast<unsigned char>(bytes[kBytesMagic.size()]) != version.size() ||
        bytes.substr(kBytesMagic.size() + 1, version.size()) != version) {
        return Unexpected(ChemError{
            ChemError::kOther, "prepared with another RDKit version", std::nullopt});
    }
    auto data = std::make_shared<PreparedEntry::Data>();
    data->project = project;
    auto& row = data->row;
    row.molecule = molecule;
    const char* in = bytes.data() + header;
    std::memcpy(row.screen.data(), in, screen_bytes);
    std::memcpy(row.morgan.data(), in + screen_bytes, sizeof(Fingerprint));
    std::memcpy(row.key_hashes.data(), in + screen_bytes + sizeof(Fingerprint), sizeof(KeyHashes));
    data->pickle = std::string(bytes.substr(header + fixed_bytes));
    try {
        std::shared_ptr<RDKit::ROMol> mol;
        if (!with_paths) {
            mol = std::make_shared<RDKit::ROMol>();
            RDKit::MolPickler::molFromPickle(data->pickle, *mol);
            set_path_keys(row.screen, target_path_keys(*mol));
        }
        return PreparedEntry(finish_entry(std::move(data), options_.match_store, std::move(mol)));
    } catch (const RDKit::MolPicklerException&) {
        return Unexpected(ChemError{
            ChemError::kSyntax, "not a valid RDKit molecule pickle", std::nullopt});
    }
}

void SearchIndex::insert(std::vector<PreparedEntry> entries) {
    // The last entry for a key wins.
    std::unordered_map<MoleculeKey, std::size_t, KeyHasher> last;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        last[entries[i].molecule()] = i;
    }
    std::vector<MoleculeKey> ids;
    std::unordered_map<ProjectKey, std::vector<Row>, KeyHasher> by_project;
    std::vector<ProjectKey> project_order;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& data = *entries[i].data_;
        if (last[data.row.molecule] != i) {
            continue;
        }
        ids.push_back(data.row.molecule);
        auto& rows = by_project[data.project];
        if (rows.empty()) {
            project_order.push_back(data.project);
        }
        rows.push_back(data.row);
    }
    const std::lock_guard lock(state_->write_mutex);
    State::Draft draft;
    state_->remove_rows(draft, ids);
    for (const auto& project : project_order) {
        state_->append_rows(draft, project, std::move(by_project[project]));
    }
    state_->publish(draft);
}

std::size_t SearchIndex::remove(std::span<const MoleculeKey> molecules) {
    const std::lock_guard lock(state_->write_mutex);
    State::Draft draft;
    const std::size_t removed = state_->remove_rows(draft, molecules);
    state_->publish(draft);
    return removed;
}

std::size_t SearchIndex::remove_project(const ProjectKey& project) {
    const std::lock_guard lock(state_->write_mutex);
    const auto found = state_->segments.find(project);
    if (found == state_->segments.end()) {
        return 0;
    }
    const std::size_t removed = found->second->rows;
    for (const auto& chunk : found->second->chunks) {
        for (const auto& row : take_apart(*chunk)) {
            state_->count_bits(row, false);
            state_->locations.erase(row.molecule);
        }
    }
    const std::lock_guard snapshot_lock(state_->snapshot_mutex);
    state_->segments.erase(found);
    return removed;
}

SearchResult SearchIndex::search_exact(
    const Structure& query,
    ExactMode mode,
    std::span<const ProjectKey> scope,
    SearchClock::time_point deadline
) const {
    const std::string key = exact_key(query, mode);
    const std::uint64_t hash = hash_key(key);
    const auto column = static_cast<std::size_t>(mode);
    const auto scan = [&key, hash, column, mode](const State::Work& work, auto& hits) {
        const Chunk& chunk = *work.chunk;
        for (std::size_t row = 0; row < chunk.rows; ++row) {
            // A hash match is confirmed on the stored molecule itself.
            if (chunk.key_hashes[row][column] == hash &&
                exact_key(to_structure(chunk.match[row]), mode) == key) {
                hits.push_back(SearchHit{chunk.ids[row], work.project, 1.0});
            }
        }
        return chunk.rows;
    };
    auto result = State::run(pool_.get(), helpers_, state_->snapshot(scope), deadline, scan);
    std::sort(result.hits.begin(), result.hits.end(), by_molecule);
    return result;
}

Expected<SearchResult, ChemError> SearchIndex::search_substructure(
    const SubstructureQuery& query,
    std::span<const ProjectKey> scope,
    SearchClock::time_point deadline
) const {
    auto parsed = parse_query(query);
    if (!parsed) {
        return Unexpected(parsed.error());
    }
    std::unique_ptr<RDKit::ROMol> query_mol = std::move(parsed).value();
    const auto clauses = screen_clauses(*query_mol, query.format, state_->bit_counts);

    // The screen reads a few cache lines per chunk, so one thread screens them all; the
    // candidates are matched over the pool only when they are enough to repay the hand-off.
    const auto snap = state_->snapshot(scope);
    std::vector<State::Part> parts(snap.work.size());
    std::vector<std::vector<std::uint32_t>> candidates(snap.work.size());
    std::vector<std::size_t> to_match;
    std::size_t candidate_count = 0;
    for (std::size_t i = 0; i < snap.work.size() && SearchClock::now() < deadline; ++i) {
        candidates[i] = screen(*snap.work[i].chunk, clauses);
        if (candidates[i].empty()) {
            parts[i].examined = snap.work[i].chunk->rows;
        } else {
            to_match.push_back(i);
            candidate_count += candidates[i].size();
        }
    }

    // A matcher holds per-target state, so each thread that matches borrows one of its own.
    // They are made before any runs: the first takes the parsed query itself, the others
    // copy it while nothing matches with it yet.
    const bool parallel = candidate_count >= kParallelCandidates;
    const std::size_t matchers = to_match.empty() ? 0
                                 : parallel       ? std::min(helpers_ + 1, to_match.size())
                                                  : 1;
    std::vector<std::unique_ptr<SubstructureMatcher>> idle;
    for (std::size_t i = 1; i < matchers; ++i) {
        idle.push_back(std::make_unique<SubstructureMatcher>(*query_mol, query.use_chirality));
    }
    if (matchers > 0) {
        idle.push_back(
            std::make_unique<SubstructureMatcher>(std::move(query_mol), query.use_chirality)
        );
    }
    std::mutex idle_mutex;
    const auto borrow = [&idle_mutex, &idle] {
        // parallel_for runs the caller and at most helpers_ pool threads: one matcher each.
        const std::lock_guard lock(idle_mutex);
        auto matcher = std::move(idle.back());
        idle.pop_back();
        return matcher;
    };
    const auto give_back = [&idle_mutex, &idle](std::unique_ptr<SubstructureMatcher> matcher) {
        const std::lock_guard lock(idle_mutex);
        idle.push_back(std::move(matcher));
    };
    const auto match = [&](std::size_t k) {
        const std::size_t i = to_match[k];
        if (SearchClock::now() >= deadline) {
            return;
        }
        auto matcher = borrow();
        try {
            parts[i].examined = match_candidates(
                *snap.work[i].chunk,
                candidates[i],
                *matcher,
                snap.work[i].project,
                deadline,
                parts[i].hits
            );
        } catch (...) {
            // parallel_for goes on with the next items on this thread, which borrow again;
            // the matcher starts afresh with each target.
            give_back(std::move(matcher));
            throw;
        }
        give_back(std::move(matcher));
    };
    parallel_for(parallel ? pool_.get() : nullptr, helpers_, to_match.size(), match);
    auto result = State::collect(snap, parts);
    std::sort(result.hits.begin(), result.hits.end(), by_molecule);
    return result;
}

SearchResult SearchIndex::search_similarity(
    const Structure& query,
    const SimilarityQuery& options,
    std::span<const ProjectKey> scope,
    SearchClock::time_point deadline
) const {
    const Fingerprint query_fingerprint =
        with_mol(query, [](const RDKit::ROMol& mol) { return morgan_fingerprint(mol); });
    const unsigned query_count = popcount(query_fingerprint);
    const double threshold = options.threshold;
    const auto top_k = options.top_k;
    // With top_k, the best k-th score any chunk has found so far: no row scoring below it can
    // be in the answer. Never below the threshold.
    std::atomic<double> bound{threshold};
    // Keeps a chunk's k best hits and raises the bound to its k-th score.
    const auto keep_best = [top_k, &bound](std::vector<SearchHit>& hits) {
        if (!top_k || hits.size() < *top_k) {
            return;
        }
        if (*top_k == 0) {
            hits.clear();
            return;
        }
        const auto kth = hits.begin() + static_cast<std::ptrdiff_t>(*top_k - 1);
        std::nth_element(hits.begin(), kth, hits.end(), by_score);
        hits.resize(*top_k);
        const double score = hits.back().score;
        double current = bound.load();
        while (score > current && !bound.compare_exchange_weak(current, score)) {
        }
    };
    const GroupCounts query_groups = group_counts(query_fingerprint.data());
    const auto scan = [&query_fingerprint,
                       &query_groups,
                       &bound,
                       &keep_best,
                       query_count,
                       threshold,
                       top_k](const State::Work& work, std::vector<SearchHit>& hits) {
        const Chunk& chunk = *work.chunk;
        const auto& counts = chunk.morgan_counts;
        std::array<std::uint16_t, kScoreBatch> common{};
        std::array<std::uint16_t, kScoreBatch> picked{};  // rows of the batch worth scoring
        std::size_t position = 0;
        std::size_t end = chunk.rows;
        while (true) {
            // Tanimoto <= min(a, b) / max(a, b): only popcounts b in [t * a, a / t] can reach
            // the bound t, and the chunk holds them in one sorted run.
            const double t = bound.load(std::memory_order_relaxed);
            const double low = std::max(0.0, std::floor(t * query_count - kBoundSlack));
            const double high = t > 0 ? std::ceil(query_count / t + kBoundSlack)
                                      : static_cast<double>(kFingerprintBits);
            const auto first =
                std::lower_bound(counts.begin(), counts.end(), static_cast<std::uint16_t>(low));
            const auto last = std::upper_bound(
                counts.begin(),
                counts.end(),
                static_cast<std::uint16_t>(std::min(high, static_cast<double>(kFingerprintBits)))
            );
            position = std::max(position, static_cast<std::size_t>(first - counts.begin()));
            end = std::min(end, static_cast<std::size_t>(last - counts.begin()));
            if (position >= end) {
                break;
            }
            const std::size_t batch = std::min(kScoreBatch, end - position);
            const auto* fingerprints = chunk.morgan.data() + position * kFingerprintWords;
            std::size_t kept = 0;
            if (t >= kGroupBoundFrom) {
                // The group counts bound the common bits: a row that cannot reach t this way
                // is never read in full. most / (a + b - most) >= t, without a division.
                bound_common_bits(
                    query_groups, chunk.morgan_groups.data() + position, batch, common.data()
                );
                const double grow = 1.0 + t;
                for (std::size_t j = 0; j < batch; ++j) {
                    const double reach = t * (query_count + counts[position + j]) - kBoundSlack;
                    picked[kept] = static_cast<std::uint16_t>(j);
                    kept += common[j] * grow >= reach ? 1 : 0;
                }
                count_common_bits_at(
                    query_fingerprint.data(), fingerprints, picked.data(), kept, common.data()
                );
            } else {
                std::iota(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(batch), 0);
                kept = batch;
                count_common_bits(query_fingerprint.data(), fingerprints, batch, common.data());
            }
            for (std::size_t k = 0; k < kept; ++k) {
                const std::size_t j = picked[k];
                const double both = common[k];
                const double either = query_count + counts[position + j] - both;
                // As DataStructs.TanimotoSimilarity: two empty fingerprints score 1.
                const double score = either == 0 ? 1.0 : both / either;
                if (score >= threshold && score >= t) {
                    hits.push_back(SearchHit{
                        chunk.ids[chunk.morgan_rows[position + j]], work.project, score});
                }
            }
            position += batch;
            if (top_k && hits.size() >= 2 * *top_k + kScoreBatch) {
                keep_best(hits);
            }
        }
        keep_best(hits);
        return chunk.rows;
    };
    auto result = State::run(pool_.get(), helpers_, state_->snapshot(scope), deadline, scan);
    std::sort(result.hits.begin(), result.hits.end(), by_score);
    if (top_k && result.hits.size() > *top_k) {
        result.hits.resize(*top_k);
    }
    return result;
}

SearchIndexStats SearchIndex::stats() const {
    SearchIndexStats stats;
    const std::lock_guard lock(state_->snapshot_mutex);
    stats.projects = state_->segments.size();
    for (const auto& [project, segment] : state_->segments) {
        stats.molecules += segment->rows;
        for (const auto& chunk : segment->chunks) {
            stats.screening_bytes += chunk->screening_bytes;
            stats.matching_bytes += chunk->matching_bytes;
        }
    }
    return stats;
}

}  // namespace molvault::chem
