// Benchmark of the in-memory search engine (chem::SearchIndex) on the 250k ZINC set.
//
//   cmake --build --preset release --target search_engine_bench
//   build/release/search_engine_bench ../shared/data [--csv hits.csv] [--cache FILE]
//       [--sets leads,frags,...] [--pickles]
//
// Loads DATA/zinc250k.smi.gz (parse, prepare on every core; with --cache, the prepared entries
// are kept in FILE and later runs restore them from there), then runs each query set
// of DATA/queries as the benchmark asks: substructure (leads, frags and fragqueries as
// SMILES, the Lewis set as SMARTS; chirality off as in the cartridge's default) and similarity
// (Morgan r2/2048 Tanimoto >= 0.7, >= 0.5, top 10). Prints load time, memory per molecule and
// per set the hits and time per query (median, p95, max, total), measures the popcount kernel's
// unpruned Tanimoto rate per core, and compares the two match stores (parsed molecules vs
// pickles) on a sample. Writes "set,query_id,hits,ms,digest" per query to the CSV file if given,
// where digest is the first 16 hex digits of the SHA-256 of the hits' zinc250k ids, sorted and
// joined by '\n' (bench/search/cartridge.sh writes the same for the RDKit cartridge).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <malloc.h>

#include "chem/fingerprint_kernels.hpp"
#include "chem/search_index.hpp"
#include "chem/structure.hpp"
#include "common/sodium.hpp"

namespace {

using molvault::chem::ExactKeys;
using molvault::chem::MatchStore;
using molvault::chem::MoleculeKey;
using molvault::chem::PreparedEntry;
using molvault::chem::ProjectKey;
using molvault::chem::QueryFormat;
using molvault::chem::SearchHit;
using molvault::chem::SearchIndex;
using molvault::chem::SearchIndexOptions;
using molvault::chem::SimilarityQuery;
using molvault::chem::Structure;
using molvault::chem::SubstructureQuery;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kInsertBatch = 10'000;
constexpr std::size_t kStoreSample = 20'000;
constexpr std::size_t kStoreQueries = 100;
constexpr std::size_t kKernelRounds = 20;
// Queries of each set run once untimed before the set is timed, as bench/search/cartridge.sh
// warms the cartridge.
constexpr std::size_t kWarmupQueries = 5;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

MoleculeKey molecule_key(std::size_t n) {
    MoleculeKey key;
    for (std::size_t i = 0; i < 8; ++i) {
        key.bytes[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    }
    return key;
}

// The inverse of molecule_key: the molecule's position in zinc250k.smi.gz.
std::size_t molecule_index(const MoleculeKey& key) {
    std::size_t n = 0;
    for (std::size_t i = 8; i < 16; ++i) {
        n = (n << 8) | key.bytes[i];
    }
    return n;
}

constexpr std::size_t kDigestHexDigits = 16;

// First 16 hex digits of the SHA-256 of the hits' database ids, sorted and joined by '\n'.
std::string hit_digest(const std::vector<SearchHit>& hits, const std::vector<std::string>& ids) {
    std::vector<std::string_view> names;
    names.reserve(hits.size());
    for (const auto& hit : hits) {
        names.push_back(ids.at(molecule_index(hit.molecule)));
    }
    std::sort(names.begin(), names.end());
    std::string joined;
    for (const auto& name : names) {
        if (!joined.empty()) {
            joined += '\n';
        }
        joined += name;
    }
    return molvault::sha256_hex(joined).substr(0, kDigestHexDigits);
}

struct Record {
    std::string text;
    std::string id;
};

// "TEXT<TAB>ID[<TAB>...]" lines; '#' lines skipped. A .gz file is read through gzip.
std::vector<Record> read_records(const std::string& path) {
    std::vector<Record> records;
    std::string content;
    if (path.ends_with(".gz")) {
        const std::string command = "gzip -dc '" + path + "'";
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
        if (!pipe) {
            throw std::runtime_error("cannot run " + command);
        }
        char buffer[1 << 16];
        std::size_t n = 0;
        while ((n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) {
            content.append(buffer, n);
        }
    } else {
        std::ifstream in(path);
        if (!in) {
            throw std::runtime_error("cannot read " + path);
        }
        content.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::istringstream lines(content);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto tab = line.find('\t');
        const auto end = line.find('\t', tab == std::string::npos ? tab : tab + 1);
        records.push_back(
            {line.substr(0, tab),
             tab == std::string::npos ? "" : line.substr(tab + 1, end - tab - 1)}
        );
    }
    return records;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
template <class Fn>
void on_all_cores(std::size_t n, unsigned threads, Fn fn) {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([n, threads, t, &fn] {
            for (std::size_t i = t; i < n; i += threads) {
                fn(i);
            }
        });
    }
    for (auto& thread : pool) {
        thread.join();
    }
}

struct Timing {
    std::string id;
    std::size_t hits = 0;
    double ms = 0;
    std::string digest;
};

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[index];
}

void report(const std::string& set, const std::vector<Timing>& timings, std::ofstream* csv) {
    std::vector<double> ms;
    std::size_t hits = 0;
    for (const auto& t : timings) {
        ms.push_back(t.ms);
        hits += t.hits;
        if (csv != nullptr) {
            *csv << set << ',' << t.id << ',' << t.hits << ',' << fmt::format("{:.3f}", t.ms) << ','
                 << t.digest << '\n';
        }
    }
    fmt::print(
        "| {} | {} | {} | {:.2f} | {:.2f} | {:.1f} | {:.2f} |\n",
        set,
        timings.size(),
        hits,
        percentile(ms, 0.5),
        percentile(ms, 0.95),
        *std::max_element(ms.begin(), ms.end()),
        std::accumulate(ms.begin(), ms.end(), 0.0) / 1000.0
    );
}

// ids: the database ids by molecule position, for the digests (empty: no digests).
std::vector<Timing> run_substructure(
    const SearchIndex& index,
    const std::vector<ProjectKey>& scope,
    const std::vector<Record>& queries,
    QueryFormat format,
    const std::vector<std::string>& ids
) {
    for (std::size_t i = 0; i < std::min(kWarmupQueries, queries.size()); ++i) {
        (void)index.search_substructure({queries[i].text, format, false}, scope);
    }
    std::vector<Timing> timings;
    for (const auto& query : queries) {
        const auto start = Clock::now();
        const auto result = index.search_substructure({query.text, format, false}, scope);
        const double ms = seconds_since(start) * 1000;
        if (!result) {
            throw std::runtime_error(query.id + ": " + result.error().message);
        }
        timings.push_back(
            {query.id, result->hits.size(), ms, ids.empty() ? "" : hit_digest(result->hits, ids)}
        );
    }
    return timings;
}

std::vector<Timing> run_similarity(
    const SearchIndex& index,
    const std::vector<ProjectKey>& scope,
    const std::vector<Record>& queries,
    const SimilarityQuery& options,
    const std::vector<std::string>& ids
) {
    for (std::size_t i = 0; i < std::min(kWarmupQueries, queries.size()); ++i) {
        if (const auto structure = molvault::chem::parse_smiles(queries[i].text)) {
            (void)index.search_similarity(*structure, options, scope);
        }
    }
    std::vector<Timing> timings;
    for (const auto& query : queries) {
        const auto start = Clock::now();
        const auto structure = molvault::chem::parse_smiles(query.text);
        if (!structure) {
            throw std::runtime_error(query.id + ": " + structure.error().message);
        }
        const auto result = index.search_similarity(*structure, options, scope);
        const double ms = seconds_since(start) * 1000;
        timings.push_back({query.id, result.hits.size(), ms, hit_digest(result.hits, ids)});
    }
    return timings;
}

// Unpruned Tanimoto rate of the popcount kernel on one core: intersection counts of one query
// against as many fingerprints as the index holds (timing does not depend on the bits).
void measure_kernel(std::size_t rows) {
    std::vector<std::uint64_t> fingerprints(rows * molvault::chem::kFingerprintWords);
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    for (auto& word : fingerprints) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        word = state & (state >> 7);  // about a quarter of the bits set
    }
    std::vector<std::uint16_t> counts(rows);
    const auto start = Clock::now();
    std::uint64_t checksum = 0;
    for (std::size_t round = 0; round < kKernelRounds; ++round) {
        molvault::chem::count_common_bits(
            fingerprints.data() + (round % rows) * molvault::chem::kFingerprintWords,
            fingerprints.data(),
            rows,
            counts.data()
        );
        checksum += counts[round];
    }
    const double elapsed = seconds_since(start);
    fmt::print(
        "Unpruned Tanimoto scan, one core ({}): {:.1f} M comparisons/s (checksum {})\n",
        molvault::chem::common_bits_variant(),
        static_cast<double>(rows * kKernelRounds) / elapsed / 1e6,
        checksum
    );
}

// Restores every entry into a new index with the given store, on all cores, then inserts them.
struct Built {
    std::unique_ptr<SearchIndex> index;
    double restore_seconds = 0;
    double insert_seconds = 0;
    double heap_per_molecule = 0;
};

Built build_index(const std::vector<std::string>& bytes, MatchStore store, unsigned threads) {
    Built built;
    const auto heap_before = heap_in_use();
    built.index =
        std::make_unique<SearchIndex>(SearchIndexOptions{.threads = threads, .match_store = store});
    const auto& index = *built.index;
    auto start = Clock::now();
    std::vector<std::optional<PreparedEntry>> restored(bytes.size());
    on_all_cores(bytes.size(), threads, [&index, &bytes, &restored](std::size_t i) {
        auto entry = index.restore(molecule_key(i), ProjectKey{}, bytes[i]);
        if (!entry) {
            throw std::runtime_error(entry.error().message);
        }
        restored[i] = std::move(entry).value();
    });
    built.restore_seconds = seconds_since(start);
    start = Clock::now();
    for (std::size_t first = 0; first < restored.size(); first += kInsertBatch) {
        std::vector<PreparedEntry> batch;
        for (std::size_t i = first; i < std::min(restored.size(), first + kInsertBatch); ++i) {
            batch.push_back(std::move(*restored[i]));
            restored[i].reset();
        }
        built.index->insert(std::move(batch));
    }
    built.insert_seconds = seconds_since(start);
    restored.clear();
    restored.shrink_to_fit();
    malloc_trim(0);
    built.heap_per_molecule =
        static_cast<double>(heap_in_use() - heap_before) / static_cast<double>(bytes.size());
    return built;
}

// Parsed molecules vs pickles on the first kStoreSample molecules: heap per molecule, the cost
// of reading a pickle back, and the first kStoreQueries Lewis SMARTS (screening helps little
// there, so matching dominates).
void compare_stores(
    const std::vector<std::string>& bytes, const std::vector<Record>& smarts, unsigned threads
) {
    const std::vector<std::string> sample(
        bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kStoreSample)
    );
    const std::vector<Record> queries(
        smarts.begin(), smarts.begin() + static_cast<std::ptrdiff_t>(kStoreQueries)
    );
    const std::vector<ProjectKey> scope = {ProjectKey{}};
    for (const auto store : {MatchStore::kMolecules, MatchStore::kPickles}) {
        const auto built = build_index(sample, store, 1);
        const auto stats = built.index->stats();
        double total = 0;
        for (const auto& t :
             run_substructure(*built.index, scope, queries, QueryFormat::kSmarts, {})) {
            total += t.ms;
        }
        fmt::print(
            "Store {}: heap {:.0f} B/molecule (index says screening {:.0f} + matching {:.0f}); "
            "restore {:.1f} us/molecule on one core; {} SMARTS on {} molecules on {} threads: "
            "{:.0f} ms\n",
            store == MatchStore::kMolecules ? "parsed molecules" : "pickles",
            built.heap_per_molecule,
            static_cast<double>(stats.screening_bytes) / kStoreSample,
            static_cast<double>(stats.matching_bytes) / kStoreSample,
            built.restore_seconds * 1e6 / kStoreSample,
            kStoreQueries,
            kStoreSample,
            threads,
            total
        );
    }
}

// Prepares every molecule from its SMILES (parse, exact keys, fingerprints), as bytes.
std::vector<std::string> prepare_all(const std::vector<Record>& records, unsigned threads) {
    const SearchIndex preparer({.threads = 1, .match_store = MatchStore::kPickles});
    std::vector<std::string> bytes(records.size());
    double parse_seconds = 0;
    double prepare_seconds = 0;
    std::mutex mutex;
    const auto start = Clock::now();
    on_all_cores(records.size(), threads, [&](std::size_t i) {
        const auto t0 = Clock::now();
        const auto parsed = molvault::chem::parse_smiles(records[i].text);
        if (!parsed) {
            throw std::runtime_error(records[i].id + ": " + parsed.error().message);
        }
        const ExactKeys keys{
            parsed->canonical_smiles(), parsed->no_stereo_smiles(), parsed->tautomer_hash()};
        const auto t1 = Clock::now();
        bytes[i] = preparer.prepare(molecule_key(i), ProjectKey{}, *parsed, keys).to_bytes();
        const auto t2 = Clock::now();
        const std::lock_guard lock(mutex);
        parse_seconds += std::chrono::duration<double>(t1 - t0).count();
        prepare_seconds += std::chrono::duration<double>(t2 - t1).count();
    });
    const double n = static_cast<double>(records.size());
    fmt::print(
        "Prepared {} molecules on {} threads in {:.1f} s; per molecule and core: parse + exact "
        "keys {:.0f} us, fingerprints + pickle {:.0f} us\n",
        records.size(),
        threads,
        seconds_since(start),
        parse_seconds * 1e6 / n,
        prepare_seconds * 1e6 / n
    );
    return bytes;
}

std::vector<std::string> read_cache(const std::string& path) {
    std::vector<std::string> bytes;
    std::ifstream in(path, std::ios::binary);
    std::uint32_t size = 0;
    while (in.read(reinterpret_cast<char*>(&size), sizeof size)) {
        std::string entry(size, '\0');
        in.read(entry.data(), size);
        bytes.push_back(std::move(entry));
    }
    return bytes;
}

void write_cache(const std::string& path, const std::vector<std::string>& bytes) {
    std::ofstream out(path, std::ios::binary);
    for (const auto& entry : bytes) {
        const auto size = static_cast<std::uint32_t>(entry.size());
        out.write(reinterpret_cast<const char*>(&size), sizeof size);
        out.write(entry.data(), static_cast<std::streamsize>(entry.size()));
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string data;
    std::string csv_path;
    std::string cache_path;
    std::string sets =
        "leads,frags,fragqueries,rlewis,similarity-0.7,similarity-0.5,similarity-top10";
    bool extras = true;
    MatchStore store = MatchStore::kMolecules;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--csv" && has_value) {
            csv_path = args[++i];
        } else if (args[i] == "--cache" && has_value) {
            cache_path = args[++i];
        } else if (args[i] == "--sets" && has_value) {
            sets = "," + args[++i] + ",";
            extras = false;
        } else if (args[i] == "--pickles") {
            store = MatchStore::kPickles;
        } else if (data.empty()) {
            data = args[i];
        }
    }
    if (data.empty()) {
        std::cerr << "usage: search_engine_bench DATA_DIR [--csv FILE] [--cache FILE] "
                     "[--sets a,b] [--pickles]\n";
        return 2;
    }
    const auto wanted = [&sets](const std::string& set) {
        return sets.find(set) != std::string::npos;
    };
    std::ofstream csv_file;
    std::ofstream* csv = nullptr;
    if (!csv_path.empty()) {
        csv_file.open(csv_path);
        csv_file << "set,query_id,hits,ms,digest\n";
        csv = &csv_file;
    }
    const unsigned threads = std::max(1U, std::thread::hardware_concurrency());

    const auto database = read_records(data + "/zinc250k.smi.gz");
    std::vector<std::string> ids;
    ids.reserve(database.size());
    for (const auto& record : database) {
        ids.push_back(record.id);
    }
    std::vector<std::string> bytes;
    if (!cache_path.empty() && std::ifstream(cache_path)) {
        bytes = read_cache(cache_path);
        fmt::print("Read {} prepared entries from {}\n", bytes.size(), cache_path);
    } else {
        bytes = prepare_all(database, threads);
        if (!cache_path.empty()) {
            write_cache(cache_path, bytes);
        }
    }
    if (bytes.size() != ids.size()) {
        std::cerr << "the cache holds " << bytes.size() << " entries for " << ids.size()
                  << " molecules\n";
        return 1;
    }
    const auto built = build_index(bytes, store, threads);
    const auto& index = *built.index;
    const auto stats = index.stats();
    const double molecules = static_cast<double>(stats.molecules);
    fmt::print(
        "Index of {} molecules ({}): restore {:.1f} s on {} threads, insert {:.1f} s\n",
        stats.molecules,
        store == MatchStore::kMolecules ? "parsed molecules" : "pickles",
        built.restore_seconds,
        threads,
        built.insert_seconds
    );
    fmt::print(
        "Memory per molecule: screening {:.0f} B, matching {:.0f} B (estimate); heap growth "
        "{:.0f} B\n",
        static_cast<double>(stats.screening_bytes) / molecules,
        static_cast<double>(stats.matching_bytes) / molecules,
        built.heap_per_molecule
    );

    const std::vector<ProjectKey> scope = {ProjectKey{}};
    // The first task each pool thread runs costs about 30 ms more here, once per process (a
    // running server's threads have long paid it); a broad query, untimed, gets it out of the
    // way, since selective queries now run on the calling thread alone.
    (void)index.search_substructure({"c1ccccc1", QueryFormat::kSmiles, false}, scope);
    const auto queries = data + "/queries/";
    const auto rlewis = read_records(queries + "smarts_rlewis.txt");
    const auto similar = read_records(queries + "similarity_500.smi");
    fmt::print("\n| set | queries | hits | median ms | p95 ms | max ms | total s |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|---:|\n");
    const std::vector<std::pair<std::string, std::string>> smiles_sets = {
        {"leads", "zinc_leads_500.smi"},
        {"frags", "zinc_frags_500.smi"},
        {"fragqueries", "fragqueries.smi"}};
    for (const auto& [set, file] : smiles_sets) {
        if (wanted(set)) {
            const auto records = read_records(queries + file);
            report(set, run_substructure(index, scope, records, QueryFormat::kSmiles, ids), csv);
        }
    }
    if (wanted("rlewis")) {
        report("rlewis", run_substructure(index, scope, rlewis, QueryFormat::kSmarts, ids), csv);
    }
    for (const double threshold : {0.7, 0.5}) {
        const auto set = fmt::format("similarity-{}", threshold);
        if (wanted(set)) {
            const SimilarityQuery options{.threshold = threshold, .top_k = std::nullopt};
            report(set, run_similarity(index, scope, similar, options, ids), csv);
        }
    }
    if (wanted("similarity-top10")) {
        report("similarity-top10", run_similarity(index, scope, similar, {.top_k = 10}, ids), csv);
    }
    fmt::print("\n");
    if (extras) {
        measure_kernel(stats.molecules);
        compare_stores(bytes, rlewis, threads);
    }
    return 0;
}
