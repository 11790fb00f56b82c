#include "auth/password_hasher.hpp"

#include <array>
#include <charconv>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "common/random.hpp"
#include "common/sodium.hpp"

// Stored formats: bcrypt "$2b$NN$<22-char salt><31-char hash>" (libxcrypt) and argon2id
// "$argon2id$v=19$m=...,t=...,p=1$<salt>$<hash>" (libsodium). verify() accepts only these two
// prefixes: libxcrypt would otherwise happily "verify" against DES, MD5 or SHA-crypt settings.
//
// The argon2id defaults in HasherOptions (t=3, m=64 MiB) sit between libsodium's INTERACTIVE
// (t=2, 64 MiB) and MODERATE (t=3, 256 MiB): about as slow as bcrypt cost 12 here, with a memory
// cost a hashing pool of one thread per core can afford under a login flood.
//
// The pepper only keys the bcrypt pre-hash of passwords longer than 72 bytes (or containing a
// NUL byte, which would end the C string early). Rotating PASSWORD_PEPPER therefore invalidates
// exactly those hashes; argon2id has no length limit and takes the password as it is.

namespace molvault::auth {
namespace {

constexpr std::size_t kBcryptMaxBytes = 72;
constexpr std::string_view kBcryptPrefix = "$2b$";
constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr int kMinBcryptRounds = 4;
constexpr int kMaxBcryptRounds = 31;
constexpr std::size_t kDummyPasswordBytes = 24;

// A string holding password material, wiped when it goes out of scope.
class SecretText {
public:
    explicit SecretText(std::string text) : text_(std::move(text)) {}
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    SecretText(SecretText&&) = delete;
    SecretText& operator=(SecretText&&) = delete;
    ~SecretText() { sodium_memzero(text_.data(), text_.size()); }

    [[nodiscard]] const char* c_str() const { return text_.c_str(); }

private:
    std::string text_;
};

// libxcrypt's 32 KiB scratch area: on the heap (hashing threads may have small stacks), zeroed
// before use as crypt_rn requires, and wiped afterwards because it held the password.
class CryptScratch {
public:
    CryptScratch() : data_(std::make_unique<crypt_data>()) {}
    CryptScratch(const CryptScratch&) = delete;
    CryptScratch& operator=(const CryptScratch&) = delete;
    CryptScratch(CryptScratch&&) = delete;
    CryptScratch& operator=(CryptScratch&&) = delete;
    ~CryptScratch() { sodium_memzero(data_.get(), sizeof(crypt_data)); }

    [[nodiscard]] crypt_data* get() const { return data_.get(); }

private:
    std::unique_ptr<crypt_data> data_;
};

// What bcrypt is given: the password itself when bcrypt can take all of it, else
// base64(HMAC-SHA-384(pepper, password)), 64 characters, so no byte of the password is ignored.
SecretText bcrypt_input(std::string_view password, std::string_view pepper) {
    if (password.size() <= kBcryptMaxBytes && password.find('\0') == std::string_view::npos) {
        return SecretText(std::string(password));
    }
    static constexpr std::array<unsigned char, 1> kNoKey{};  // HMAC wants a non-null key pointer
    const void* key = pepper.empty() ? static_cast<const void*>(kNoKey.data()) : pepper.data();
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_size = 0;
    const auto* digest = HMAC(
        EVP_sha384(),
        key,
        static_cast<int>(pepper.size()),
        reinterpret_cast<const unsigned char*>(password.data()),  // NOLINT: C API takes bytes
        password.size(),
        mac.data(),
        &mac_size
    );
    if (digest == nullptr) {
        throw std::runtime_error("HMAC-SHA-384 failed");
    }
    constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
    std::string encoded(sodium_base64_ENCODED_LEN(mac_size, kVariant), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), mac.data(), mac_size, kVariant);
    encoded.pop_back();  // the terminating NUL
    sodium_memzero(mac.data(), mac.size());
    return SecretText(std::move(encoded));
}

// crypt_rn with `setting` (a fresh salt, or a stored hash to verify against); std::nullopt when
// libxcrypt refuses the setting.
std::optional<std::string> run_crypt(const SecretText& input, const char* setting) {
    const CryptScratch scratch;
    const char* out =
        crypt_rn(input.c_str(), setting, scratch.get(), static_cast<int>(sizeof(crypt_data)));
    if (out == nullptr || out[0] == '*') {
        return std::nullopt;
    }
    return std::string(out);
}

// The cost of a "$2b$NN$..." hash, or std::nullopt when it is not shaped like one.
std::optional<int> bcrypt_cost(std::string_view stored) {
    constexpr std::size_t kCostStart = kBcryptPrefix.size();
    constexpr std::size_t kCostDigits = 2;
    if (stored.size() <= kCostStart + kCostDigits || stored[kCostStart + kCostDigits] != '$') {
        return std::nullopt;
    }
    int cost = 0;
    const auto* first = stored.data() + kCostStart;
    const auto [end, ec] = std::from_chars(first, first + kCostDigits, cost);
    if (ec != std::errc{} || end != first + kCostDigits) {
        return std::nullopt;
    }
    return cost;
}

}  // namespace

PasswordHasher::PasswordHasher(HasherOptions options) : options_(std::move(options)) {
    ensure_sodium();
    if (options_.bcrypt_rounds < kMinBcryptRounds || options_.bcrypt_rounds > kMaxBcryptRounds) {
        throw std::invalid_argument("bcrypt rounds must be between 4 and 31");
    }
    if (options_.argon2_opslimit < crypto_pwhash_OPSLIMIT_MIN ||
        options_.argon2_opslimit > crypto_pwhash_OPSLIMIT_MAX ||
        options_.argon2_memlimit < crypto_pwhash_MEMLIMIT_MIN ||
        options_.argon2_memlimit > crypto_pwhash_MEMLIMIT_MAX) {
        throw std::invalid_argument("argon2id limits are outside libsodium's range");
    }
    dummy_hash_ = hash(random_token(kDummyPasswordBytes));
}

std::string PasswordHasher::hash(std::string_view password) const {
    if (options_.algorithm == HashAlgorithm::kArgon2id) {
        std::array<char, crypto_pwhash_STRBYTES> out{};
        if (crypto_pwhash_str(
                out.data(),
                password.data(),
                password.size(),
                options_.argon2_opslimit,
                options_.argon2_memlimit
            ) != 0) {
            throw std::runtime_error("argon2id hashing failed (out of memory?)");
        }
        return std::string(out.data());
    }
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    // No random bytes passed: libxcrypt draws the salt from the kernel (getrandom).
    if (crypt_gensalt_rn(
            kBcryptPrefix.data(),
            static_cast<unsigned long>(options_.bcrypt_rounds),
            nullptr,
            0,
            setting.data(),
            static_cast<int>(setting.size())
        ) == nullptr) {
        throw std::runtime_error("bcrypt salt generation failed");
    }
    const SecretText input = bcrypt_input(password, options_.pepper);
    auto hashed = run_crypt(input, setting.data());
    if (!hashed) {
        throw std::runtime_error("bcrypt hashing failed");
    }
    return std::move(*hashed);
}

Verification PasswordHasher::verify(std::string_view password, std::string_view stored) const {
    if (stored.find('\0') != std::string_view::npos) {
        return {};
    }
    if (stored.starts_with(kBcryptPrefix)) {
        const auto cost = bcrypt_cost(stored);
        if (!cost) {
            return {};
        }
        const SecretText input = bcrypt_input(password, options_.pepper);
        const auto computed = run_crypt(input, std::string(stored).c_str());
        if (!computed || computed->size() != stored.size() ||
            sodium_memcmp(computed->data(), stored.data(), stored.size()) != 0) {
            return {};
        }
        return {
            .ok = true,
            .needs_rehash =
                options_.algorithm != HashAlgorithm::kBcrypt || *cost < options_.bcrypt_rounds,
        };
    }
    if (stored.starts_with(kArgon2idPrefix)) {
        std::array<char, crypto_pwhash_STRBYTES> text{};
        if (stored.size() >= text.size()) {
            return {};
        }
        stored.copy(text.data(), stored.size());
        if (crypto_pwhash_str_verify(text.data(), password.data(), password.size()) != 0) {
            return {};
        }
        return {
            .ok = true,
            .needs_rehash = options_.algorithm != HashAlgorithm::kArgon2id ||
                            crypto_pwhash_str_needs_rehash(
                                text.data(), options_.argon2_opslimit, options_.argon2_memlimit
                            ) != 0,
        };
    }
    return {};
}

void PasswordHasher::verify_dummy(std::string_view password) const {
    [[maybe_unused]] const auto ignored = verify(password, dummy_hash_);
}

}  // namespace molvault::auth
