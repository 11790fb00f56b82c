#pragma once
// The common-password list embedded into the binary at build time
// (cmake/GenerateCommonPasswords.cmake): John the Ripper's password.lst from Debian's john-data,
// verbatim. One password per line; lines starting with "#!comment" are comments. Immutable;
// thread-safe.

#include <string_view>

namespace molvault::auth {

[[nodiscard]] std::string_view embedded_common_passwords();

}  // namespace molvault::auth
