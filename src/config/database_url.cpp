#include "config/database_url.hpp"

#include <cctype>

#include "common/percent_decode.hpp"

namespace molvault::config {
namespace {

Expected<DatabaseUrl, std::string> parse_postgres(std::string_view rest) {
    DatabaseUrl url;
    url.kind = DatabaseKind::kPostgres;
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view authority = rest;
    std::string_view path;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        authority = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        const auto user = percent_decode(userinfo.substr(0, colon));
        if (!user) {
            return Unexpected<std::string>("bad percent-encoding in the user name");
        }
        url.user = *user;
        if (colon != std::string_view::npos) {
            const auto password = percent_decode(userinfo.substr(colon + 1));
            if (!password) {
                return Unexpected<std::string>("bad percent-encoding in the password");
            }
            url.password = *password;
        }
    }
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return Unexpected<std::string>("unterminated IPv6 host");
        }
        url.host = std::string(authority.substr(1, close - 1));
        authority = authority.substr(close + 1);
        if (!authority.empty() && authority.front() == ':') {
            url.port = std::string(authority.substr(1));
        }
    } else {
        const auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            url.port = std::string(authority.substr(colon + 1));
        }
    }
    const auto dbname = percent_decode(path);
    if (!dbname) {
        return Unexpected<std::string>("bad percent-encoding in the database name");
    }
    url.dbname = *dbname;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
            return Unexpected<std::string>("query parameter without a value");
        }
        const auto key = percent_decode(pair.substr(0, eq));
        const auto value = percent_decode(pair.substr(eq + 1));
        if (!key || !value) {
            return Unexpected<std::string>("bad percent-encoding in a query parameter");
        }
        if (*key == "host") {
            url.host = *value;
        } else {
            url.params[*key] = *value;
        }
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    }
    return url;
}

}  // namespace

Expected<DatabaseUrl, std::string> parse_database_url(std::string_view text) {
    constexpr std::string_view kSqlite = "sqlite:";
    if (text.starts_with(kSqlite)) {
        std::string_view path = text.substr(kSqlite.size());
        if (path.starts_with("//")) {
            path.remove_prefix(2);
        }
        if (path.empty()) {
            return Unexpected<std::string>("the SQLite URL names no file");
        }
        DatabaseUrl url;
        url.kind = DatabaseKind::kSqlite;
        url.sqlite_path = std::string(path);
        return url;
    }
    for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (text.starts_with(scheme)) {
            return parse_postgres(text.substr(scheme.size()));
        }
    }
    return Unexpected<std::string>("must start with sqlite: or postgresql://");
}

std::string redact_database_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string(url);
    }
    const auto authority_start = scheme_end + 3;
    const auto authority_end = url.find_first_of("/?", authority_start);
    const auto authority = url.substr(authority_start, authority_end - authority_start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return std::string(url);
    }
    const auto colon = authority.find(':');
    if (colon == std::string_view::npos || colon > at) {
        return std::string(url);
    }
    std::string out(url.substr(0, authority_start + colon + 1));
    out += "***";
    out += url.substr(authority_start + at);
    return out;
}

bool is_local_host(std::string_view host) {
    return host.empty() || host.front() == '/' || host == "localhost" || host == "::1" ||
           host.starts_with("127.");
}

}  // namespace molvault::config
