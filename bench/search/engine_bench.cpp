// Benchmark of the in-memory search engine (chem::SearchIndex) on the 250k ZINC set.
//
//   cmake --build --preset release --target search_engine_bench
//   build/release/search_engine_bench ../shared/data [hits.csv]
//
// Loads DATA/zinc250k.smi.gz (parse, prepare on every core, insert), then runs each query set
// of DATA/queries as the benchmark asks: substructure (leads, frags and fragqueries as
// SMILES, the Lewis set as SMARTS; chirality off as in the cartridge's default) and similarity
// (Morgan r2/2048 Tanimoto >= 0.7, >= 0.5, top 10). Prints load time, memory per molecule and
// per set the hits and time per query (median, p95, max, total), measures the popcount kernel's
// unpruned Tanimoto rate per core, and compares the two match stores (parsed molecules vs
// pickles) on a sample. Writes "set,query_id,hits,ms" per query to the CSV file if given.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <malloc.h>

#include "chem/fingerprint_kernels.hpp"
#include "chem/search_index.hpp"
#include "chem/structure.hpp"

namespace {

using molvault::chem::ExactKeys;
using molvault::chem::MatchStore;
using molvault::chem::MoleculeKey;
using molvault::chem::PreparedEntry;
using molvault::chem::ProjectKey;
using molvault::chem::QueryFormat;
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

struct Loaded {
    std::vector<Structure> structures;
    std::vector<ExactKeys> keys;
};

struct Timing {
    std::string id;
    std::size_t hits = 0;
    double ms = 0;
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
            *csv << set << ',' << t.id << ',' << t.hits << ',' << fmt::format("{:.3f}", t.ms)
                 << '\n';
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

std::vector<Timing> run_substructure(
    const SearchIndex& index,
    const std::vector<ProjectKey>& scope,
    const std::vector<Record>& queries,
    QueryFormat format
) {
    std::vector<Timing> timings;
    for (const auto& query : queries) {
        const auto start = Clock::now();
        const auto result = index.search_substructure({query.text, format, false}, scope);
        const double ms = seconds_since(start) * 1000;
        if (!result) {
            throw std::runtime_error(query.id + ": " + result.error().message);
        }
        timings.push_back({query.id, result->hits.size(), ms});
    }
    return timings;
}

std::vector<Timing> run_similarity(
    const SearchIndex& index,
    const std::vector<ProjectKey>& scope,
    const std::vector<Record>& queries,
    const SimilarityQuery& options
) {
    std::vector<Timing> timings;
    for (const auto& query : queries) {
        const auto start = Clock::now();
        const auto structure = molvault::chem::parse_smiles(query.text);
        if (!structure) {
            throw std::runtime_error(query.id + ": " + structure.error().message);
        }
        const auto result = index.search_similarity(*structure, options, scope);
        timings.push_back({query.id, result.hits.size(), seconds_since(start) * 1000});
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

// Parsed molecules vs pickles on the first kStoreSample molecules: heap per molecule, and the
// first kStoreQueries Lewis SMARTS (screening helps little there, so matching dominates).
void compare_stores(const Loaded& loaded, const std::vector<Record>& smarts, unsigned threads) {
    const std::vector<ProjectKey> scope = {ProjectKey{}};
    const std::vector<Record> queries(
        smarts.begin(), smarts.begin() + static_cast<std::ptrdiff_t>(kStoreQueries)
    );
    double pickle_bytes = 0;
    const auto unpickle_start = Clock::now();
    for (std::size_t i = 0; i < kStoreSample; ++i) {
        const auto pickle = loaded.structures[i].to_pickle();
        pickle_bytes += static_cast<double>(pickle.size());
        if (!Structure::from_pickle(pickle)) {
            throw std::runtime_error("pickle does not read back");
        }
    }
    fmt::print(
        "Pickles: {:.0f} bytes each; pickle + unpickle {:.1f} us each\n",
        pickle_bytes / kStoreSample,
        seconds_since(unpickle_start) * 1e6 / kStoreSample
    );
    for (const auto store : {MatchStore::kMolecules, MatchStore::kPickles}) {
        const auto heap_before = heap_in_use();
        SearchIndex index({.threads = threads, .match_store = store});
        std::vector<PreparedEntry> entries;
        for (std::size_t i = 0; i < kStoreSample; ++i) {
            entries.push_back(
                index.prepare(molecule_key(i), ProjectKey{}, loaded.structures[i], loaded.keys[i])
            );
        }
        index.insert(std::move(entries));
        const double heap = static_cast<double>(heap_in_use() - heap_before) / kStoreSample;
        const auto stats = index.stats();
        const auto timings = run_substructure(index, scope, queries, QueryFormat::kSmarts);
        double total = 0;
        for (const auto& t : timings) {
            total += t.ms;
        }
        fmt::print(
            "Store {}: heap {:.0f} B/molecule (index says screening {:.0f} + matching {:.0f}); "
            "{} SMARTS on {} molecules: {:.0f} ms total\n",
            store == MatchStore::kMolecules ? "parsed molecules" : "pickles",
            heap,
            static_cast<double>(stats.screening_bytes) / kStoreSample,
            static_cast<double>(stats.matching_bytes) / kStoreSample,
            kStoreQueries,
            kStoreSample,
            total
        );
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: search_engine_bench DATA_DIR [hits.csv]\n";
        return 2;
    }
    const std::string data = argv[1];
    std::ofstream csv_file;
    std::ofstream* csv = nullptr;
    if (argc > 2) {
        csv_file.open(argv[2]);
        csv_file << "set,query_id,hits,ms\n";
        csv = &csv_file;
    }
    const unsigned threads = std::max(1U, std::thread::hardware_concurrency());

    auto start = Clock::now();
    const auto records = read_records(data + "/zinc250k.smi.gz");
    Loaded loaded;
    loaded.structures.resize(records.size(), *molvault::chem::parse_smiles("C"));
    loaded.keys.resize(records.size());
    on_all_cores(records.size(), threads, [&records, &loaded](std::size_t i) {
        auto parsed = molvault::chem::parse_smiles(records[i].text);
        if (!parsed) {
            throw std::runtime_error(records[i].id + ": " + parsed.error().message);
        }
        loaded.structures[i] = std::move(parsed).value();
        loaded.keys[i] = {
            loaded.structures[i].canonical_smiles(),
            loaded.structures[i].no_stereo_smiles(),
            loaded.structures[i].tautomer_hash()};
    });
    const double parse_seconds = seconds_since(start);

    const auto heap_before = heap_in_use();
    SearchIndex index({.threads = threads});
    start = Clock::now();
    std::vector<PreparedEntry> entries(
        records.size(), index.prepare(MoleculeKey{}, ProjectKey{}, loaded.structures[0])
    );
    on_all_cores(records.size(), threads, [&index, &loaded, &entries](std::size_t i) {
        entries[i] =
            index.prepare(molecule_key(i), ProjectKey{}, loaded.structures[i], loaded.keys[i]);
    });
    const double prepare_seconds = seconds_since(start);
    start = Clock::now();
    for (std::size_t first = 0; first < entries.size(); first += kInsertBatch) {
        const auto last = std::min(entries.size(), first + kInsertBatch);
        index.insert(std::vector<PreparedEntry>(
            entries.begin() + static_cast<std::ptrdiff_t>(first),
            entries.begin() + static_cast<std::ptrdiff_t>(last)
        ));
    }
    const double insert_seconds = seconds_since(start);
    entries.clear();
    entries.shrink_to_fit();
    malloc_trim(0);
    const auto stats = index.stats();
    const double molecules = static_cast<double>(stats.molecules);
    fmt::print(
        "Loaded {} molecules on {} threads: parse + exact keys {:.1f} s, prepare {:.1f} s, "
        "insert {:.1f} s\n",
        stats.molecules,
        threads,
        parse_seconds,
        prepare_seconds,
        insert_seconds
    );
    fmt::print(
        "Memory per molecule: screening {:.0f} B, matching {:.0f} B (estimate); index heap "
        "growth {:.0f} B\n",
        static_cast<double>(stats.screening_bytes) / molecules,
        static_cast<double>(stats.matching_bytes) / molecules,
        static_cast<double>(heap_in_use() - heap_before) / molecules
    );

    const std::vector<ProjectKey> scope = {ProjectKey{}};
    const auto queries = data + "/queries/";
    const auto leads = read_records(queries + "zinc_leads_500.smi");
    const auto frags = read_records(queries + "zinc_frags_500.smi");
    const auto fragqueries = read_records(queries + "fragqueries.smi");
    const auto rlewis = read_records(queries + "smarts_rlewis.txt");
    const auto similar = read_records(queries + "similarity_500.smi");
    fmt::print("\n| set | queries | hits | median ms | p95 ms | max ms | total s |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|---:|\n");
    report("leads", run_substructure(index, scope, leads, QueryFormat::kSmiles), csv);
    report("frags", run_substructure(index, scope, frags, QueryFormat::kSmiles), csv);
    report("fragqueries", run_substructure(index, scope, fragqueries, QueryFormat::kSmiles), csv);
    report("rlewis", run_substructure(index, scope, rlewis, QueryFormat::kSmarts), csv);
    report(
        "similarity-0.7",
        run_similarity(index, scope, similar, {.threshold = 0.7, .top_k = std::nullopt}),
        csv
    );
    report(
        "similarity-0.5",
        run_similarity(index, scope, similar, {.threshold = 0.5, .top_k = std::nullopt}),
        csv
    );
    report("similarity-top10", run_similarity(index, scope, similar, {.top_k = 10}), csv);
    fmt::print("\n");

    measure_kernel(stats.molecules);
    compare_stores(loaded, rlewis, threads);
    return 0;
}
