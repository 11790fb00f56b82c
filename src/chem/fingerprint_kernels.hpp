#pragma once
// Bit-counting kernels for 2048-bit fingerprints packed in 64-bit words, used by SearchIndex
// for Tanimoto scoring. Built for the x86-64 baseline; at first use they pick the best variant
// the CPU offers (AVX-512 VPOPCNTDQ, else the POPCNT instruction, else portable code), so the
// binary runs on any x86-64 and uses hardware popcount where there is one.
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace molvault::chem {

constexpr std::size_t kFingerprintBits = 2048;
constexpr std::size_t kFingerprintWords = kFingerprintBits / 64;

// out[i] = number of bits set in both `query` and row i, for `rows` consecutive fingerprints of
// kFingerprintWords words each starting at `fingerprints`.
void count_common_bits(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    std::size_t rows,
    std::uint16_t* out
);

// The same for rows picked[0], ..., picked[rows - 1] of `fingerprints`.
void count_common_bits_at(
    const std::uint64_t* query,
    const std::uint64_t* fingerprints,
    const std::uint16_t* picked,
    std::size_t rows,
    std::uint16_t* out
);

// A fingerprint's bits in kGroups groups of kGroupWords words, with the popcount of each: no
// row has more bits in common with the query than the sum over groups of the smaller of the
// two counts, a bound read from 16 bytes per row instead of 256.
constexpr std::size_t kGroups = 16;
constexpr std::size_t kGroupWords = kFingerprintWords / kGroups;
using GroupCounts = std::array<std::uint8_t, kGroups>;
static_assert(kGroupWords * 64 <= 255, "a group's count fits a byte");

[[nodiscard]] GroupCounts group_counts(const std::uint64_t* fingerprint);

// out[i] = that bound for row i of `rows` consecutive GroupCounts starting at `groups`.
void bound_common_bits(
    const GroupCounts& query, const GroupCounts* groups, std::size_t rows, std::uint16_t* out
);

// Name of the variant count_common_bits runs ("avx512-vpopcntdq", "popcnt" or "portable").
[[nodiscard]] std::string_view common_bits_variant();

}  // namespace molvault::chem
