#pragma once
// Bit-counting kernels for 2048-bit fingerprints packed in 64-bit words, used by SearchIndex
// for Tanimoto scoring. Built for the x86-64 baseline; at first use they pick the best variant
// the CPU offers (AVX-512 VPOPCNTDQ, else the POPCNT instruction, else portable code), so the
// binary runs on any x86-64 and uses hardware popcount where there is one.
// Thread-safety: pure functions.

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

// Name of the variant count_common_bits runs ("avx512-vpopcntdq", "popcnt" or "portable").
[[nodiscard]] std::string_view common_bits_variant();

}  // namespace molvault::chem
