#include "chem/fingerprint_kernels.hpp"

#include <bit>

#include <emmintrin.h>

namespace molvault::chem {
namespace {

// One body for every variant: compiled again inside each target-specific wrapper below, where
// std::popcount becomes POPCNT or, vectorised by GCC, VPOPCNTQ.
[[gnu::always_inline]] inline void count_common_bits_body(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
) {
    for (std::size_t row = 0; row < rows; ++row) {
        const std::uint64_t* fingerprint =
            fingerprints + (picked != nullptr ? picked[row] : row) * kFingerprintWords;
        unsigned common = 0;
#pragma GCC unroll 32
        for (std::size_t word = 0; word < kFingerprintWords; ++word) {
            common += static_cast<unsigned>(std::popcount(query[word] & fingerprint[word]));
        }
        out[row] = static_cast<std::uint16_t>(common);
    }
}

[[gnu::target("avx512f,avx512bw,avx512vl,avx512vpopcntdq")]] void count_avx512(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
) {
    count_common_bits_body(query, fingerprints, picked, rows, out);
}

[[gnu::target("popcnt")]] void count_popcnt(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
) {
    count_common_bits_body(query, fingerprints, picked, rows, out);
}

void count_portable(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
) {
    count_common_bits_body(query, fingerprints, picked, rows, out);
}

using CountFunction =
    void (*)(const std::uint64_t*, const std::uint64_t*, const std::uint16_t*, std::size_t, std::uint16_t*);

struct Variant {
    CountFunction count;
    std::string_view name;
};

Variant pick_variant() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq")) {
        return {count_avx512, "avx512-vpopcntdq"};
    }
    if (__builtin_cpu_supports("popcnt")) {
        return {count_popcnt, "popcnt"};
    }
    return {count_portable, "portable"};
}

const Variant& variant() {
    static const Variant chosen = pick_variant();
    return chosen;
}

}  // namespace

void count_common_bits(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    std::size_t rows,
    std::uint16_t* out
) {
    variant().count(query, fingerprints, nullptr, rows, out);
}

void count_common_bits_at(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
) {
    variant().count(query, fingerprints, picked, rows, out);
}

GroupCounts group_counts(const std::uint64_t* fingerprint) {
    GroupCounts counts{};
    for (std::size_t group = 0; group < kGroups; ++group) {
        unsigned count = 0;
        for (std::size_t word = 0; word < kGroupWords; ++word) {
            count += static_cast<unsigned>(std::popcount(fingerprint[group * kGroupWords + word]));
        }
        counts[group] = static_cast<std::uint8_t>(count);
    }
    return counts;
}

void bound_common_bits(
    const GroupCounts& query, const GroupCounts* groups, std::size_t rows, std::uint16_t* out
) {
    // SSE2 (every x86-64): the 16 minimums in one instruction, their sum in one more.
    static_assert(kGroups == sizeof(__m128i));
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(query.data()));
    const __m128i zero = _mm_setzero_si128();
    for (std::size_t row = 0; row < rows; ++row) {
        const __m128i g = _mm_loadu_si128(reinterpret_cast<const __m128i*>(groups[row].data()));
        const __m128i sums = _mm_sad_epu8(_mm_min_epu8(q, g), zero);  // two 64-bit halves
        out[row] = static_cast<std::uint16_t>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
    }
}

std::string_view common_bits_variant() { return variant().name; }

}  // namespace molvault::chem
