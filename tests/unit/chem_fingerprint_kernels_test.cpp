#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "chem/fingerprint_kernels.hpp"

namespace {

using molvault::chem::bound_common_bits;
using molvault::chem::count_common_bits;
using molvault::chem::count_common_bits_at;
using molvault::chem::group_counts;
using molvault::chem::GroupCounts;
using molvault::chem::kFingerprintWords;

// Sparse random fingerprints, as Morgan fingerprints are (about 1 bit in 32), plus a full one.
std::vector<std::uint64_t> fingerprints(std::size_t rows) {
    std::mt19937_64 random(42);
    std::vector<std::uint64_t> words(rows * kFingerprintWords);
    for (auto& word : words) {
        word = random() & random() & random() & random() & random();
    }
    std::fill(words.end() - kFingerprintWords, words.end(), ~std::uint64_t{0});
    return words;
}

unsigned common_bits(const std::uint64_t* a, const std::uint64_t* b) {
    unsigned count = 0;
    for (std::size_t word = 0; word < kFingerprintWords; ++word) {
        count += static_cast<unsigned>(std::popcount(a[word] & b[word]));
    }
    return count;
}

TEST(FingerprintKernels, CountTheBitsInCommonInARunAndInPickedRows) {
    const std::size_t rows = 300;
    const auto words = fingerprints(rows + 1);
    const std::uint64_t* query = words.data() + rows * kFingerprintWords;  // the last one
    std::vector<std::uint16_t> counts(rows);
    count_common_bits(query, words.data(), rows, counts.data());
    for (std::size_t row = 0; row < rows; ++row) {
        EXPECT_EQ(counts[row], common_bits(query, words.data() + row * kFingerprintWords));
    }
    const std::vector<std::uint16_t> picked = {299, 0, 7, 7, 150};
    std::vector<std::uint16_t> picked_counts(picked.size());
    count_common_bits_at(query, words.data(), picked.data(), picked.size(), picked_counts.data());
    for (std::size_t i = 0; i < picked.size(); ++i) {
        EXPECT_EQ(picked_counts[i], counts[picked[i]]);
    }
}

TEST(FingerprintKernels, GroupCountsBoundTheBitsInCommonFromAbove) {
    const std::size_t rows = 300;
    const auto words = fingerprints(rows);
    std::vector<GroupCounts> groups;
    for (std::size_t row = 0; row < rows; ++row) {
        groups.push_back(group_counts(words.data() + row * kFingerprintWords));
    }
    for (const auto count : groups.back()) {
        EXPECT_EQ(count, 128);  // the full fingerprint: every bit of every group
    }
    std::size_t tight = 0;
    for (std::size_t q = 0; q < 20; ++q) {
        const std::uint64_t* query = words.data() + q * kFingerprintWords;
        std::vector<std::uint16_t> bounds(rows);
        bound_common_bits(groups[q], groups.data(), rows, bounds.data());
        for (std::size_t row = 0; row < rows; ++row) {
            const auto common = common_bits(query, words.data() + row * kFingerprintWords);
            ASSERT_GE(bounds[row], common) << q << " " << row;
            tight += bounds[row] == common ? 1 : 0;
        }
        // Against itself the bound is exact: every bit is shared.
        EXPECT_EQ(bounds[q], common_bits(query, query));
    }
    EXPECT_LT(tight, 20U * rows);  // and it is a bound, not the count
}

}  // namespace
