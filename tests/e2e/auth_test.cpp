// Sign-up, sign-in and sessions, end to end: the real binary over HTTP, on SQLite and on
// PostgreSQL, checked against the database it writes.
#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "auth/token_service.hpp"
#include "db/database.hpp"
#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_database.hpp"

namespace molvault::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "Corr3ct-Horse!";
constexpr const char* kTestSecret = "test-only-jwt-key-4f9a1c7e2b8d6053a7e1f4c9b2d8e6a0";

// The value of cookie `name` in the response's Set-Cookie headers, and its attribute text.
std::optional<std::string> set_cookie(const HttpResponse& response, const std::string& name) {
    for (const auto& value : response.header_all("Set-Cookie")) {
        if (value.rfind(name + "=", 0) == 0) {
            return value;
        }
    }
    return std::nullopt;
}

std::string cookie_value(const HttpResponse& response, const std::string& name) {
    const auto header = set_cookie(response, name).value_or("");
    const auto start = name.size() + 1;
    return header.substr(start, header.find(';') - start);
}

class Auth : public testing::TestWithParam<db::Backend> {
protected:
    void SetUp() override { database_ = std::make_unique<TestDatabase>(GetParam()); }

    std::unique_ptr<MolvaultProcess> start(EnvMap env = {}) {
        env["DATABASE_URL"] = database_->url();
        env.try_emplace("RATE_LIMIT_ENABLED", "false");  // these tests sign in many times
        return std::make_unique<MolvaultProcess>(env);
    }

    static HttpResponse register_user(
        HttpClient& client, const std::string& email, const std::string& password = kPassword
    ) {
        return client.post_json(
            "/api/v1/auth/register", {{"email", email}, {"password", password}}
        );
    }
    static HttpResponse login(
        HttpClient& client, const std::string& email, const std::string& password = kPassword
    ) {
        return client.post_json("/api/v1/auth/login", {{"email", email}, {"password", password}});
    }
    static HttpResponse refresh(HttpClient& client, const std::string& token) {
        return client.post_json("/api/v1/auth/refresh", {{"refresh_token", token}});
    }
    static HttpResponse me(HttpClient& client, const std::string& access_token) {
        return client.get("/api/v1/auth/me", {{"Authorization", "Bearer " + access_token}});
    }

    db::Result query(const db::Statement& statement, std::initializer_list<db::Value> params = {}) {
        if (!admin_) {
            admin_ = database_->open();
        }
        return admin_->execute(statement, params);
    }

    // The single integer a COUNT(*) or similar query returns.
    std::int64_t scalar(std::string_view sql, std::initializer_list<db::Value> params = {}) {
        return query({"scalar", sql}, params).one().integer(0);
    }

    std::unique_ptr<TestDatabase> database_;
    std::unique_ptr<db::Database> admin_;
};

TEST_P(Auth, RegistersSignsInAndReturnsTheCurrentUserWithoutSecrets) {
    const auto server = start();
    HttpClient client(server->port());
    const auto registered = register_user(client, "  Ada@Example.com ");
    ASSERT_EQ(registered.status, 201) << registered.body;
    EXPECT_EQ(registered.json()["email"], "Ada@Example.com");
    EXPECT_EQ(registered.json()["role"], "user");
    EXPECT_EQ(registered.json()["tier"], "free");
    EXPECT_EQ(registered.body.find("password"), std::string::npos);

    const auto signed_in = login(client, "ada@example.COM");
    ASSERT_EQ(signed_in.status, 200) << signed_in.body;
    EXPECT_EQ(signed_in.json()["token_type"], "bearer");
    EXPECT_EQ(signed_in.json()["expires_in"], 900);
    EXPECT_EQ(signed_in.body.find("hashed_password"), std::string::npos);

    const auto current = me(client, signed_in.json()["access_token"]);
    ASSERT_EQ(current.status, 200);
    EXPECT_EQ(current.json()["email"], "Ada@Example.com");
    EXPECT_EQ(current.body.find("hashed_password"), std::string::npos);
    EXPECT_EQ(client.get("/api/v1/auth/me").status, 401);
}

TEST_P(Auth, RejectsEachWeakPassword) {
    const auto server = start();
    HttpClient client(server->port());
    const std::vector<std::string> weak = {
        "Sh0rt!",
        "alllowercase1!",
        "ALLUPPERCASE1!",
        "NoDigitsHere!",
        "NoSpecial123",
        std::string(120, 'a') + "A1!bcdefgh",
        "weak@example.com",
    };
    for (const auto& password : weak) {
        SCOPED_TRACE(password);
        const auto response = register_user(client, "weak@example.com", password);
        EXPECT_EQ(response.status, 422);
        EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(response.json()["errors"][0]["field"], "password");
    }
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM users"), 0) << "nothing was stored";
}

TEST_P(Auth, RejectsADuplicateEmailInAnotherLetterCase) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "grace@example.com").status, 201);
    const auto duplicate = register_user(client, "GRACE@example.com");
    EXPECT_EQ(duplicate.status, 409);
    EXPECT_EQ(duplicate.json()["detail"], "This email address cannot be registered");
}

TEST_P(Auth, StoresBcryptHashesAtCostTwelveByDefault) {
    const auto server = start({{"BCRYPT_ROUNDS", "12"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "cost@example.com").status, 201);
    const auto hash = query({"hash", "SELECT hashed_password FROM users"}).one().text(0);
    EXPECT_EQ(hash.rfind("$2b$12$", 0), 0U) << hash;
    EXPECT_EQ(hash.find(kPassword), std::string::npos);
}

TEST_P(Auth, RehashesAnOutdatedHashOnTheNextGoodLogin) {
    {
        const auto server = start({{"BCRYPT_ROUNDS", "4"}});
        HttpClient client(server->port());
        ASSERT_EQ(register_user(client, "old@example.com").status, 201);
    }
    const auto server = start({{"BCRYPT_ROUNDS", "5"}});
    HttpClient client(server->port());
    ASSERT_EQ(login(client, "old@example.com").status, 200);
    const auto hash = query({"hash", "SELECT hashed_password FROM users"}).one().text(0);
    EXPECT_EQ(hash.rfind("$2b$05$", 0), 0U) << hash;
}

TEST_P(Auth, AnswersTheSameForUnknownEmailWrongPasswordAndLockedAccount) {
    const auto server = start({{"LOCKOUT_THRESHOLD", "2"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "lin@example.com").status, 201);
    ASSERT_EQ(register_user(client, "locked@example.com").status, 201);
    login(client, "locked@example.com", "Wrong-Pass1!");
    login(client, "locked@example.com", "Wrong-Pass1!");
    const auto unknown = login(client, "nobody@example.com");
    const auto wrong = login(client, "lin@example.com", "Wrong-Pass1!");
    const auto locked = login(client, "locked@example.com");
    for (const auto* response : {&unknown, &wrong, &locked}) {
        EXPECT_EQ(response->status, 401);
        auto body = response->json();
        body.erase("request_id");
        auto reference = unknown.json();
        reference.erase("request_id");
        EXPECT_EQ(body, reference);
    }
}

TEST_P(Auth, LocksAnAccountAfterFiveFailuresAndUnlocksByItself) {
    const auto server = start({{"LOCKOUT_SECONDS", "2"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "lock@example.com").status, 201);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(login(client, "lock@example.com", "Wrong-Pass1!").status, 401);
    }
    const auto row = query({"lock", "SELECT failed_login_attempts, locked_until FROM users"}).one();
    EXPECT_EQ(row.integer(0), 5);
    EXPECT_FALSE(row.is_null(1));
    EXPECT_EQ(login(client, "lock@example.com").status, 401)
        << "locked even with the right password";
    std::this_thread::sleep_for(2500ms);
    EXPECT_EQ(login(client, "lock@example.com").status, 200) << "the lock lifted by itself";
    EXPECT_EQ(scalar("SELECT failed_login_attempts FROM users"), 0);
    EXPECT_GE(scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'account_locked'"), 1);
}

TEST_P(Auth, RejectsBadAccessTokens) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "tok@example.com").status, 201);
    const auto signed_in = login(client, "tok@example.com");
    const std::string good = signed_in.json()["access_token"];
    ASSERT_EQ(me(client, good).status, 200);
    const std::string user_id = signed_in.json()["user"]["id"];

    auto forge = [&user_id](auth::TokenOptions options) {
        return auth::TokenService(std::move(options)).issue(user_id, "user").token;
    };
    auth::TokenOptions base;
    base.secret = kTestSecret;
    auto wrong_audience = base;
    wrong_audience.audience = "someone-else";
    auto wrong_issuer = base;
    wrong_issuer.issuer = "evil";
    auto expired = base;
    expired.access_ttl = -5min;
    auto other_key = base;
    other_key.secret = std::string(40, 'k') + "OtherKey123";

    std::string tampered = good;
    tampered[tampered.find('.') + 5] = tampered[tampered.find('.') + 5] == 'A' ? 'B' : 'A';
    const std::string payload =
        good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
    const std::string alg_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".";

    const std::vector<std::pair<std::string, std::string>> cases = {
        {"tampered", tampered},
        {"alg none", alg_none},
        {"wrong audience", forge(wrong_audience)},
        {"wrong issuer", forge(wrong_issuer)},
        {"expired", forge(expired)},
        {"other key", forge(other_key)},
        {"garbage", "not.a.jwt"},
    };
    for (const auto& [name, token] : cases) {
        SCOPED_TRACE(name);
        EXPECT_EQ(me(client, token).status, 401);
    }
    EXPECT_EQ(me(client, forge(base)).status, 200) << "a correctly forged token proves the harness";
}

TEST_P(Auth, SetsCookiesWithTheExactFlagsAndPaths) {
    const auto server = start({{"COOKIE_SECURE", "true"}, {"COOKIE_SAMESITE", "strict"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "cookie@example.com").status, 201);
    const auto signed_in = login(client, "cookie@example.com");
    const auto access = set_cookie(signed_in, "access_token").value_or("");
    const auto refresh_cookie = set_cookie(signed_in, "refresh_token").value_or("");
    const auto csrf = set_cookie(signed_in, "csrf_token").value_or("");
    EXPECT_NE(
        access.find("; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Strict"), std::string::npos
    ) << access;
    EXPECT_NE(
        refresh_cookie.find(
            "; Path=/api/v1/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict"
        ),
        std::string::npos
    ) << refresh_cookie;
    EXPECT_NE(csrf.find("; Path=/; Max-Age=2592000; Secure; SameSite=Strict"), std::string::npos)
        << csrf;
    EXPECT_EQ(csrf.find("HttpOnly"), std::string::npos) << "scripts must read the CSRF token";
}

TEST_P(Auth, RotatesRefreshTokensAndKillsTheFamilyOnReuse) {
    const auto server = start({{"REFRESH_REUSE_GRACE_SECONDS", "0"}});
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "rot@example.com").status, 201);
    const auto first = cookie_value(login(client, "rot@example.com"), "refresh_token");
    const auto rotated = refresh(client, first);
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const auto second = cookie_value(rotated, "refresh_token");
    EXPECT_NE(first, second);
    EXPECT_EQ(second.size(), 43U);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = $1", {first}), 0)
        << "tokens are stored only as hashes";

    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(refresh(client, first).status, 401) << "a rotated token is refused";
    EXPECT_EQ(refresh(client, second).status, 401) << "its whole family was revoked";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'token_theft_suspected'"), 2)
        << "each presentation of a revoked token is reported";
    EXPECT_EQ(refresh(client, "made-up-token").status, 401);
}

TEST_P(Auth, ReturnsTheSameSuccessorWithinTheGraceWindow) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "tabs@example.com").status, 201);
    const auto first = cookie_value(login(client, "tabs@example.com"), "refresh_token");
    const auto tab_a = refresh(client, first);
    const auto tab_b = refresh(client, first);
    ASSERT_EQ(tab_a.status, 200);
    ASSERT_EQ(tab_b.status, 200);
    EXPECT_EQ(cookie_value(tab_a, "refresh_token"), cookie_value(tab_b, "refresh_token"));
    EXPECT_EQ(refresh(client, cookie_value(tab_b, "refresh_token")).status, 200);
}

TEST_P(Auth, ConcurrentRefreshesWithOneTokenLeaveOneLiveSuccessor) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "race@example.com").status, 201);
    const auto token = cookie_value(login(client, "race@example.com"), "refresh_token");
    std::vector<std::future<HttpResponse>> results;
    for (int i = 0; i < 10; ++i) {
        results.push_back(std::async(std::launch::async, [port = server->port(), token] {
            HttpClient own(port);
            return refresh(own, token);
        }));
    }
    std::set<std::string> successors;
    for (auto& result : results) {
        const auto response = result.get();
        EXPECT_EQ(response.status, 200) << response.body;
        successors.insert(cookie_value(response, "refresh_token"));
    }
    EXPECT_EQ(successors.size(), 1U);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL"), 1);
}

TEST_P(Auth, LogoutRevokesTheSessionAndClearsCookies) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "bye@example.com").status, 201);
    const auto signed_in = login(client, "bye@example.com");
    const std::string access = signed_in.json()["access_token"];
    const auto refresh_token = cookie_value(signed_in, "refresh_token");
    const auto out = client.request(
        "POST",
        "/api/v1/auth/logout",
        nlohmann::json{{"refresh_token", refresh_token}}.dump(),
        {{"Authorization", "Bearer " + access}, {"Content-Type", "application/json"}}
    );
    ASSERT_EQ(out.status, 204) << out.body;
    for (const char* name : {"access_token", "refresh_token", "csrf_token"}) {
        SCOPED_TRACE(name);
        EXPECT_NE(set_cookie(out, name).value_or("").find("Max-Age=0"), std::string::npos);
    }
    EXPECT_EQ(me(client, access).status, 401) << "the access token's jti is denied";
    EXPECT_EQ(refresh(client, refresh_token).status, 401);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'token_theft_suspected'"), 0)
        << "a token revoked by logout is stale, not stolen";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at IS NULL"), 0);
}

TEST_P(Auth, CookieAuthenticatedWritesNeedTheCsrfToken) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "csrf@example.com").status, 201);
    const auto signed_in = login(client, "csrf@example.com");
    const auto cookies = "access_token=" + cookie_value(signed_in, "access_token") +
                         "; refresh_token=" + cookie_value(signed_in, "refresh_token") +
                         "; csrf_token=" + cookie_value(signed_in, "csrf_token");
    EXPECT_EQ(client.get("/api/v1/auth/me", {{"Cookie", cookies}}).status, 200)
        << "reads need no token";
    EXPECT_EQ(client.request("POST", "/api/v1/auth/logout", "", {{"Cookie", cookies}}).status, 403);
    EXPECT_EQ(
        client
            .request(
                "POST",
                "/api/v1/auth/logout",
                "",
                {{"Cookie", cookies}, {"Authorization", "Basic Zm9vOmJhcg=="}}
            )
            .status,
        403
    ) << "only a Bearer header exempts a request from the CSRF check";
    EXPECT_EQ(
        client
            .request(
                "POST", "/api/v1/auth/logout", "", {{"Cookie", cookies}, {"X-CSRF-Token", "wrong"}}
            )
            .status,
        403
    );
    EXPECT_EQ(
        client
            .request(
                "POST",
                "/api/v1/auth/logout",
                "",
                {{"Cookie", cookies}, {"X-CSRF-Token", cookie_value(signed_in, "csrf_token")}}
            )
            .status,
        204
    );
}

TEST_P(Auth, TenConcurrentRegistrationsOfOneEmailGiveOneAccount) {
    const auto server =
        start({{"HTTP_WORKERS", "16"}, {"HASH_THREADS", "2"}, {"HASH_QUEUE_LIMIT", "10"}});
    std::vector<std::future<int>> results;
    for (int i = 0; i < 10; ++i) {
        results.push_back(std::async(std::launch::async, [port = server->port(), i] {
            HttpClient own(port);
            return register_user(own, i % 2 == 0 ? "same@example.com" : "SAME@example.com").status;
        }));
    }
    std::multiset<int> statuses;
    for (auto& result : results) {
        statuses.insert(result.get());
    }
    EXPECT_EQ(statuses.count(201), 1U);
    EXPECT_EQ(statuses.count(409), 9U);
}

TEST_P(Auth, RecordsSecurityEventsWithoutSecrets) {
    const auto server = start();
    HttpClient client(server->port());
    ASSERT_EQ(register_user(client, "audit@example.com").status, 201);
    login(client, "audit@example.com", "Wrong-Pass1!");
    const auto signed_in = login(client, "audit@example.com");
    const auto events =
        query({"events", "SELECT event, outcome, ip FROM audit_events ORDER BY id"});
    std::vector<std::string> names;
    for (const auto& row : events.rows) {
        names.push_back(row.text(0) + ":" + row.text(1));
        EXPECT_EQ(row.text(2), "127.0.0.1");
    }
    EXPECT_EQ(
        names, (std::vector<std::string>{"registration:success", "login:failure", "login:success"})
    );
    const auto log = server->log();
    EXPECT_NE(log.find("\"security_event\":\"login\""), std::string::npos);
    for (const std::string& secret :
         {std::string(kPassword),
          std::string("Wrong-Pass1!"),
          signed_in.json()["access_token"].get<std::string>(),
          cookie_value(signed_in, "refresh_token")}) {
        EXPECT_EQ(log.find(secret), std::string::npos);
    }
}

TEST_P(Auth, MalformedBodiesGetClearProblems) {
    const auto server = start();
    HttpClient client(server->port());
    EXPECT_EQ(
        client
            .request(
                "POST", "/api/v1/auth/login", "{bad json", {{"Content-Type", "application/json"}}
            )
            .status,
        400
    );
    EXPECT_EQ(
        client
            .request(
                "POST",
                "/api/v1/auth/login",
                "email=a",
                {{"Content-Type", "application/x-www-form-urlencoded"}}
            )
            .status,
        415
    );
    EXPECT_EQ(
        client.post_json("/api/v1/auth/login", {{"email", 1}, {"password", "x"}}).status, 422
    );
    const auto extra = client.post_json(
        "/api/v1/auth/register",
        {{"email", "x@example.com"}, {"password", kPassword}, {"role", "admin"}}
    );
    EXPECT_EQ(extra.status, 422) << "no mass assignment of role";
    EXPECT_EQ(extra.json()["errors"][0]["field"], "role");
}

TEST_P(Auth, OperatorCommandsCreateAdminsRevokeSessionsAndCleanUp) {
    const auto server = start();
    HttpClient client(server->port());
    const TempDir cli_dir;
    const auto env = base_environment(cli_dir.path(), {{"DATABASE_URL", database_->url()}});

    const auto weak = run_molvault({"create-admin", "--email", "root@example.com"}, env, "weak\n");
    EXPECT_EQ(weak.exit_code, 1);
    EXPECT_NE(weak.output.find("password"), std::string::npos);
    const auto created =
        run_molvault({"create-admin", "--email", "root@example.com"}, env, "Adm1n-Pass!word\n");
    ASSERT_EQ(created.exit_code, 0) << created.output;
    EXPECT_EQ(created.output.find("Adm1n-Pass!word"), std::string::npos);
    const auto admin = login(client, "root@example.com", "Adm1n-Pass!word");
    ASSERT_EQ(admin.status, 200);
    EXPECT_EQ(admin.json()["user"]["role"], "admin");

    const auto token = cookie_value(admin, "refresh_token");
    const std::string access = admin.json()["access_token"];
    ASSERT_EQ(me(client, access).status, 200);
    std::this_thread::sleep_for(1100ms);  // JWT iat has whole seconds
    const auto revoked = run_molvault({"revoke-sessions", "--email", "ROOT@example.com"}, env);
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_NE(revoked.output.find("Revoked 1 refresh token"), std::string::npos);
    EXPECT_EQ(refresh(client, token).status, 401);
    EXPECT_EQ(me(client, access).status, 401) << "live access tokens end with the revocation";
    const auto again = login(client, "root@example.com", "Adm1n-Pass!word");
    ASSERT_EQ(again.status, 200);
    EXPECT_EQ(me(client, again.json()["access_token"]).status, 200) << "new sign-ins work";
    EXPECT_EQ(run_molvault({"revoke-sessions", "--email", "ghost@example.com"}, env).exit_code, 1);

    const auto cleaned = run_molvault({"cleanup"}, env);
    ASSERT_EQ(cleaned.exit_code, 0) << cleaned.output;
    EXPECT_NE(cleaned.output.find("Deleted "), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, Auth, testing::Values(db::Backend::kSqlite, db::Backend::kPostgres)
);

}  // namespace
}  // namespace molvault::test
