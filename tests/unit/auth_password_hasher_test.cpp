#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

#include "auth/password_hasher.hpp"

namespace molvault::auth {
namespace {

// Cost 4 and libsodium's minimum argon2id limits keep the suite fast; one test uses cost 12.
constexpr int kFastRounds = 4;
constexpr const char* kPepper = "unit-test-pepper-9f2c4e7a1b8d3f6e0a5c2b9d";
constexpr const char* kPassword = "Tr0ub4dor&3x";

HasherOptions bcrypt_options(int rounds = kFastRounds) {
    HasherOptions options;
    options.algorithm = HashAlgorithm::kBcrypt;
    options.bcrypt_rounds = rounds;
    options.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
    options.argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    options.pepper = kPepper;
    return options;
}

HasherOptions argon2id_options() {
    auto options = bcrypt_options();
    options.algorithm = HashAlgorithm::kArgon2id;
    return options;
}

TEST(PasswordHasher, WritesBcrypt2bAtTheConfiguredCost) {
    const PasswordHasher hasher(bcrypt_options(12));
    const auto hash = hasher.hash(kPassword);
    EXPECT_EQ(hash.substr(0, 7), "$2b$12$");
    EXPECT_EQ(hash.size(), 60U);
    const auto result = hasher.verify(kPassword, hash);
    EXPECT_TRUE(result.ok);
    EXPECT_FALSE(result.needs_rehash);
}

TEST(PasswordHasher, VerifiesTheRightPasswordAndRefusesAWrongOne) {
    const PasswordHasher hasher(bcrypt_options());
    const auto hash = hasher.hash(kPassword);
    EXPECT_TRUE(hasher.verify(kPassword, hash).ok);
    EXPECT_FALSE(hasher.verify("Tr0ub4dor&3y", hash).ok);
    EXPECT_FALSE(hasher.verify("", hash).ok);
}

TEST(PasswordHasher, SaltsEveryHash) {
    const PasswordHasher hasher(bcrypt_options());
    EXPECT_NE(hasher.hash(kPassword), hasher.hash(kPassword));
}

TEST(PasswordHasher, DoesNotTruncatePasswordsLongerThan72Bytes) {
    const PasswordHasher hasher(bcrypt_options());
    const std::string first = std::string(72, 'a') + std::string(28, 'b');
    const std::string second = std::string(72, 'a') + std::string(28, 'c');
    const std::string prefix(72, 'a');
    const auto hash = hasher.hash(first);
    EXPECT_TRUE(hasher.verify(first, hash).ok);
    EXPECT_FALSE(hasher.verify(second, hash).ok);
    EXPECT_FALSE(hasher.verify(prefix, hash).ok);
    EXPECT_FALSE(hasher.verify(prefix, hasher.hash(second)).ok);
}

TEST(PasswordHasher, DoesNotStopAtANulByte) {
    const PasswordHasher hasher(bcrypt_options());
    const std::string with_nul("Tr0ub4dor\0&3x", 13);
    const auto hash = hasher.hash(with_nul);
    EXPECT_TRUE(hasher.verify(with_nul, hash).ok);
    EXPECT_FALSE(hasher.verify("Tr0ub4dor", hash).ok);
}

TEST(PasswordHasher, KeysTheLongPasswordPreHashWithThePepper) {
    const std::string long_password(100, 'p');
    const auto hash = PasswordHasher(bcrypt_options()).hash(long_password);
    auto other = bcrypt_options();
    other.pepper = "another-pepper-0b7e3c9a5d1f2e8c4a6b0d3f";
    EXPECT_FALSE(PasswordHasher(other).verify(long_password, hash).ok);
}

TEST(PasswordHasher, AsksForARehashWhenTheCostWasRaised) {
    const auto hash = PasswordHasher(bcrypt_options(4)).hash(kPassword);
    const auto result = PasswordHasher(bcrypt_options(5)).verify(kPassword, hash);
    EXPECT_TRUE(result.ok);
    EXPECT_TRUE(result.needs_rehash);
}

TEST(PasswordHasher, DoesNotAskForARehashWhenTheCostWasLowered) {
    const auto hash = PasswordHasher(bcrypt_options(5)).hash(kPassword);
    const auto result = PasswordHasher(bcrypt_options(4)).verify(kPassword, hash);
    EXPECT_TRUE(result.ok);
    EXPECT_FALSE(result.needs_rehash);
}

TEST(PasswordHasher, AsksForARehashWhenTheAlgorithmChanged) {
    const auto bcrypt_hash = PasswordHasher(bcrypt_options()).hash(kPassword);
    const auto to_argon2id = PasswordHasher(argon2id_options()).verify(kPassword, bcrypt_hash);
    EXPECT_TRUE(to_argon2id.ok);
    EXPECT_TRUE(to_argon2id.needs_rehash);

    const auto argon2id_hash = PasswordHasher(argon2id_options()).hash(kPassword);
    const auto to_bcrypt = PasswordHasher(bcrypt_options()).verify(kPassword, argon2id_hash);
    EXPECT_TRUE(to_bcrypt.ok);
    EXPECT_TRUE(to_bcrypt.needs_rehash);
}

TEST(PasswordHasher, RoundTripsArgon2id) {
    const PasswordHasher hasher(argon2id_options());
    const auto hash = hasher.hash(kPassword);
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0U) << hash;
    const auto result = hasher.verify(kPassword, hash);
    EXPECT_TRUE(result.ok);
    EXPECT_FALSE(result.needs_rehash);
    EXPECT_FALSE(hasher.verify("Tr0ub4dor&3y", hash).ok);
}

TEST(PasswordHasher, AsksForARehashWhenArgon2idLimitsWereRaised) {
    const auto hash = PasswordHasher(argon2id_options()).hash(kPassword);
    auto stronger = argon2id_options();
    stronger.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN + 1;
    const auto result = PasswordHasher(stronger).verify(kPassword, hash);
    EXPECT_TRUE(result.ok);
    EXPECT_TRUE(result.needs_rehash);
}

TEST(PasswordHasher, TreatsAMalformedStoredHashAsAMismatch) {
    const PasswordHasher hasher(bcrypt_options());
    const auto good = hasher.hash(kPassword);
    const std::vector<std::string> cases = {
        "",
        "not a hash",
        "$2b$",
        "$2b$04$",
        "$2b$99$abcdefghijklmnopqrstuuJm2yB1F0oJpT9bYq6yFb8B3h3aB8c1S",
        "$2b$xx$abcdefghijklmnopqrstuuJm2yB1F0oJpT9bYq6yFb8B3h3aB8c1S",
        good.substr(0, good.size() - 1),
        good + "x",
        std::string(good).append(1, '\0').append("junk"),
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$garbage$garbage",
        "$argon2id$" + std::string(200, 'a'),
        // Formats libxcrypt understands but we never write: must not verify.
        "$6$saltsalt$hash",
        "$1$saltsalt$hash",
        "ab01234567890",
    };
    for (const auto& stored : cases) {
        SCOPED_TRACE(stored);
        const auto result = hasher.verify(kPassword, stored);
        EXPECT_FALSE(result.ok);
    }
}

TEST(PasswordHasher, RefusesOtherCryptSchemesEvenWithTheRightPassword) {
    // Real hashes of kPassword (openssl passwd -5 / -1) that libxcrypt's crypt_rn would verify.
    const std::vector<std::string> cases = {
        "$5$saltsalt$f/s1/aTrxzJzm1pa2LA2UQ1JeL4gA9WOdvMEIfImIh8",  // SHA-256-crypt
        "$1$saltsalt$8uuJwbpHU/.By8SvGjzMy.",                       // MD5-crypt
    };
    const PasswordHasher hasher(bcrypt_options());
    for (const auto& stored : cases) {
        SCOPED_TRACE(stored);
        EXPECT_FALSE(hasher.verify(kPassword, stored).ok);
    }
}

TEST(PasswordHasher, RunsADummyVerificationForUnknownUsers) {
    // Only that it runs and does not throw: timing is not asserted in unit tests.
    const PasswordHasher hasher(bcrypt_options());
    hasher.verify_dummy(kPassword);
    hasher.verify_dummy(std::string(100, 'x'));
    PasswordHasher(argon2id_options()).verify_dummy(kPassword);
}

TEST(PasswordHasher, RefusesBcryptRoundsOutsideFourToThirtyOne) {
    for (const int rounds : {3, 32}) {
        SCOPED_TRACE(rounds);
        EXPECT_THROW(PasswordHasher{bcrypt_options(rounds)}, std::invalid_argument);
    }
}

TEST(PasswordHasher, WorksWithoutAPepper) {
    auto options = bcrypt_options();
    options.pepper.clear();
    const PasswordHasher hasher(options);
    const std::string long_password(100, 'q');
    EXPECT_TRUE(hasher.verify(long_password, hasher.hash(long_password)).ok);
}

}  // namespace
}  // namespace molvault::auth
