#include "common/sodium.hpp"

#include <stdexcept>

#include <sodium.h>

namespace molvault {

void ensure_sodium() {
    static const bool kReady = [] { return sodium_init() >= 0; }();
    if (!kReady) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

}  // namespace molvault
