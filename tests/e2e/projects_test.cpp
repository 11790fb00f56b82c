// Projects end to end: the real binary over HTTP, on SQLite and on PostgreSQL, checked against
// the database it writes. Every test registers its own users.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <latch>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "http/paging.hpp"
#include "support/api_caller.hpp"
#include "support/backend_test.hpp"
#include "support/http_client.hpp"
#include "support/molvault_process.hpp"
#include "support/test_database.hpp"

namespace molvault::test {
namespace {

constexpr const char* kProjects = "/api/v1/projects";
constexpr const char* kMissingId = "00000000-0000-4000-8000-000000000000";

// A signed-in user and the calls the tests make as them.
class Caller : public ApiCaller {
public:
    using ApiCaller::ApiCaller;

    HttpResponse create(const nlohmann::json& body) { return send("POST", kProjects, body); }
    HttpResponse create_named(const std::string& name) { return create({{"name", name}}); }
    HttpResponse get(const std::string& id) { return send("GET", path(id)); }
    HttpResponse list(const std::string& query = "") {
        return send("GET", std::string(kProjects) + query);
    }
    HttpResponse patch(const std::string& id, const nlohmann::json& body) {
        return send("PATCH", path(id), body);
    }
    HttpResponse remove(const std::string& id) { return send("DELETE", path(id)); }

    static std::string path(const std::string& id) { return std::string(kProjects) + "/" + id; }
};

// A problem body without its request id, to compare two answers.
nlohmann::json without_request_id(const HttpResponse& response) {
    auto body = response.json();
    body.erase("request_id");
    return body;
}

class Projects : public BackendTest {
protected:
    static Caller caller(const MolvaultProcess& server, const std::string& email) {
        return Caller(server.port(), sign_up(server.port(), email));
    }

    std::int64_t count_projects() { return scalar("SELECT COUNT(*) FROM projects"); }
};
TEST_P(Projects, CreatesReadsListsRenamesAndDeletesAProject) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");

    const auto created =
        ada.create({{"name", "Kinase inhibitors"}, {"description", "Series A\nfrom the screen"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const auto project = created.json();
    std::set<std::string> keys;
    for (const auto& [key, value] : project.items()) {
        keys.insert(key);
    }
    EXPECT_EQ(
        keys,
        (std::set<std::string>{
            "id", "name", "description", "standardize", "created_at", "updated_at"})
    );
    EXPECT_EQ(project["name"], "Kinase inhibitors");
    EXPECT_EQ(project["description"], "Series A\nfrom the screen");
    EXPECT_EQ(project["standardize"], true) << "standardize defaults to true";
    EXPECT_EQ(project["created_at"], project["updated_at"]);
    const std::string id = project["id"];

    const auto fetched = ada.get(id);
    ASSERT_EQ(fetched.status, 200);
    EXPECT_EQ(fetched.json(), project);

    const auto listed = ada.list();
    ASSERT_EQ(listed.status, 200);
    EXPECT_EQ(listed.json()["items"], nlohmann::json::array({project}));
    EXPECT_TRUE(listed.json()["next_cursor"].is_null());

    const auto renamed = ada.patch(id, {{"name", "Kinase inhibitors (2)"}});
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(renamed.json()["name"], "Kinase inhibitors (2)");
    EXPECT_EQ(renamed.json()["description"], "Series A\nfrom the screen") << "left as it was";
    EXPECT_EQ(renamed.json()["created_at"], project["created_at"]);
    EXPECT_GT(renamed.json()["updated_at"], project["updated_at"]);
    const auto described = ada.patch(id, {{"description", ""}});
    ASSERT_EQ(described.status, 200);
    EXPECT_EQ(described.json()["description"], "");
    EXPECT_EQ(described.json()["name"], "Kinase inhibitors (2)");

    const auto raw = ada.create({{"name", "Salts as drawn"}, {"standardize", false}});
    ASSERT_EQ(raw.status, 201);
    EXPECT_EQ(raw.json()["standardize"], false);

    const auto deleted = ada.remove(id);
    EXPECT_EQ(deleted.status, 204);
    EXPECT_TRUE(deleted.body.empty());
    EXPECT_EQ(ada.get(id).status, 404);
    EXPECT_EQ(ada.remove(id).status, 404);
    EXPECT_EQ(count_projects(), 1);
}

TEST_P(Projects, RequiresSignInOnEveryRoute) {
    const auto server = start();
    HttpClient anonymous(server->port());
    const std::string one = Caller::path(kMissingId);
    EXPECT_EQ(anonymous.post_json(kProjects, {{"name", "x"}}).status, 401);
    EXPECT_EQ(anonymous.get(kProjects).status, 401);
    EXPECT_EQ(anonymous.get(one).status, 401);
    EXPECT_EQ(
        anonymous.request(
                     "PATCH", one, R"({"name":"x"})", {{"Content-Type", "application/json"}}
        ).status,
        401
    );
    EXPECT_EQ(anonymous.request("DELETE", one).status, 401);
    EXPECT_EQ(anonymous.get(kProjects, {{"Authorization", "Bearer not.a.token"}}).status, 401);
}

TEST_P(Projects, AnotherUsersProjectIsNotFoundOnEveryRoute) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto eve = caller(*server, "eve@example.com");
    const auto created = ada.create({{"name", "Secret series"}, {"description", "keep out"}});
    ASSERT_EQ(created.status, 201);
    const std::string id = created.json()["id"];
    const auto missing = eve.get(kMissingId);
    ASSERT_EQ(missing.status, 404);

    const std::vector<std::pair<std::string, HttpResponse>> attempts = {
        {"get", eve.get(id)},
        {"rename", eve.patch(id, {{"name", "Mine now"}})},
        {"describe", eve.patch(id, {{"description", "defaced"}})},
        {"delete", eve.remove(id)},
    };
    for (const auto& [what, response] : attempts) {
        SCOPED_TRACE(what);
        EXPECT_EQ(response.status, 404);
        EXPECT_EQ(without_request_id(response), without_request_id(missing))
            << "indistinguishable from a project that does not exist";
        EXPECT_EQ(response.body.find("Secret series"), std::string::npos);
    }
    const auto eves_list = eve.list();
    ASSERT_EQ(eves_list.status, 200);
    EXPECT_TRUE(eves_list.json()["items"].empty());
    EXPECT_EQ(eve.list("?limit=200").json()["items"].size(), 0U);

    const auto still = ada.get(id);
    ASSERT_EQ(still.status, 200);
    EXPECT_EQ(still.json(), created.json()) << "nothing changed";
}

TEST_P(Projects, MalformedProjectIdIsUnprocessable) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto created = ada.create_named("Mine");
    ASSERT_EQ(created.status, 201);
    const std::string id = created.json()["id"];
    const std::vector<std::string> malformed = {
        "not-a-uuid",
        "123",
        id + "0",
        id.substr(1),
        "00000000000040008000000000000000",
        "%27%20OR%201%3D1--",
    };
    for (const auto& bad : malformed) {
        SCOPED_TRACE(bad);
        const std::vector<HttpResponse> responses = {
            ada.get(bad), ada.patch(bad, {{"name", "x"}}), ada.remove(bad)};
        for (const auto& response : responses) {
            EXPECT_EQ(response.status, 422) << response.body;
            EXPECT_EQ(response.json()["errors"][0]["field"], "project_id");
        }
    }
    std::string upper = id;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    const auto by_upper = ada.get(upper);
    EXPECT_EQ(by_upper.status, 200) << "UUIDs are case-insensitive on both backends";
    EXPECT_EQ(by_upper.json()["id"], id);
}

TEST_P(Projects, TrimsNamesAndRefusesEmptyLongAndControlCharacters) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    const auto trimmed = ada.create_named(" \u3000 Kinases\u00a0 ");
    ASSERT_EQ(trimmed.status, 201) << trimmed.body;
    EXPECT_EQ(trimmed.json()["name"], "Kinases");

    std::string longest;
    for (int i = 0; i < 200; ++i) {
        longest += "\u00e9";  // 200 characters, 400 bytes
    }
    EXPECT_EQ(ada.create_named(longest).status, 201) << "the limit counts characters, not bytes";

    const std::vector<std::pair<std::string, nlohmann::json>> bad = {
        {"empty", {{"name", ""}}},
        {"only spaces", {{"name", "   \u2003 "}}},
        {"201 characters", {{"name", std::string(201, 'a')}}},
        {"tab", {{"name", "a\tb"}}},
        {"newline", {{"name", "line\nbreak"}}},
        {"NUL", {{"name", std::string("nul\0byte", 8)}}},
        {"DEL", {{"name", "del\x7f"}}},
        {"C1 control", {{"name", "next\u0085line"}}},
        {"missing", {{"description", "no name"}}},
        {"not a string", {{"name", 42}}},
        {"null", {{"name", nullptr}}},
        {"long description", {{"name", "d1"}, {"description", std::string(10'001, 'x')}}},
        {"NUL in description", {{"name", "d2"}, {"description", std::string("a\0b", 3)}}},
        {"standardize not a boolean", {{"name", "s"}, {"standardize", "yes"}}},
        {"unknown field", {{"name", "u"}, {"owner_id", kMissingId}}},
    };
    for (const auto& [what, body] : bad) {
        SCOPED_TRACE(what);
        const auto response = ada.create(body);
        EXPECT_EQ(response.status, 422) << response.body;
        EXPECT_EQ(response.header("Content-Type"), "application/problem+json");
        EXPECT_FALSE(response.json()["errors"].empty());
    }
    const auto described =
        ada.create({{"name", "Described"}, {"description", std::string(10'000, 'x') + ""}});
    EXPECT_EQ(described.status, 201) << "10,000 characters are allowed";
    const auto multiline = ada.create({{"name", "Lines"}, {"description", "a\tb\r\nc"}});
    ASSERT_EQ(multiline.status, 201);
    EXPECT_EQ(multiline.json()["description"], "a\tb\r\nc");
    EXPECT_EQ(count_projects(), 4);

    const std::string id = trimmed.json()["id"];
    const auto renamed = ada.patch(id, {{"name", "  Kinases v2\t"}});
    EXPECT_EQ(renamed.status, 422) << "a tab is a control character, trimmed or not";
    const auto spaced = ada.patch(id, {{"name", "  Kinases v2  "}});
    ASSERT_EQ(spaced.status, 200);
    EXPECT_EQ(spaced.json()["name"], "Kinases v2");
    EXPECT_EQ(ada.patch(id, {{"name", " "}}).status, 422);
}

TEST_P(Projects, StoresSqlMetacharactersAndScriptTagsVerbatim) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    ASSERT_EQ(bob.create_named("Bob's project").status, 201);
    const std::vector<std::pair<std::string, std::string>> hostile = {
        {"'; DROP TABLE projects; --", "Robert'); DELETE FROM users WHERE ('1'='1"},
        {"<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>"},
        {"\" OR \"\"=\"", "' OR 1=1 UNION SELECT hashed_password FROM users --"},
        {"100% _wild_ \\ cards", "$1 $2 ?; -- /* */ \\x00"},
        {"{{7*7}} ${7*7}", "\u202eevil\u202c &amp; &lt;b&gt;"},
    };
    std::vector<std::string> ids;
    for (const auto& [name, description] : hostile) {
        SCOPED_TRACE(name);
        const auto created = ada.create({{"name", name}, {"description", description}});
        ASSERT_EQ(created.status, 201) << created.body;
        EXPECT_EQ(created.header("Content-Type"), "application/json");
        EXPECT_EQ(created.json()["name"], name);
        EXPECT_EQ(created.json()["description"], description);
        ids.push_back(created.json()["id"]);
        const auto fetched = ada.get(ids.back());
        EXPECT_EQ(fetched.json()["name"], name);
        EXPECT_EQ(fetched.json()["description"], description);
    }
    const auto renamed = ada.patch(ids.front(), {{"name", "x' WHERE 1=1; --"}});
    ASSERT_EQ(renamed.status, 200);
    EXPECT_EQ(renamed.json()["name"], "x' WHERE 1=1; --");

    const auto listed = ada.list();
    ASSERT_EQ(listed.status, 200);
    ASSERT_EQ(listed.json()["items"].size(), hostile.size());
    for (std::size_t i = 1; i < hostile.size(); ++i) {
        EXPECT_EQ(listed.json()["items"][i]["name"], hostile[i].first);
        EXPECT_EQ(listed.json()["items"][i]["description"], hostile[i].second);
    }
    EXPECT_EQ(count_projects(), static_cast<std::int64_t>(hostile.size()) + 1)
        << "nothing else was created or deleted";
    EXPECT_EQ(query({"users", "SELECT COUNT(*) FROM users"}).one().integer(0), 2);
    const auto bobs = bob.list();
    ASSERT_EQ(bobs.json()["items"].size(), 1U);
    EXPECT_EQ(bobs.json()["items"][0]["name"], "Bob's project");
}

TEST_P(Projects, DuplicateNameIsAConflictForOneOwnerOnly) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    const auto first = ada.create_named("Kinases");
    ASSERT_EQ(first.status, 201);
    const auto again = ada.create_named("  kINASES ");
    EXPECT_EQ(again.status, 409) << "names compare trimmed and case-insensitively";
    EXPECT_EQ(again.json()["detail"], "You already have a project with this name");
    EXPECT_EQ(again.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(bob.create_named("Kinases").status, 201) << "another owner may use the name";

    const auto other = ada.create_named("Proteases");
    ASSERT_EQ(other.status, 201);
    const auto clash = ada.patch(other.json()["id"], {{"name", "KINASES"}});
    EXPECT_EQ(clash.status, 409);
    EXPECT_EQ(ada.get(other.json()["id"]).json()["name"], "Proteases") << "the rename rolled back";
    const auto recase = ada.patch(first.json()["id"], {{"name", "KINASES"}});
    ASSERT_EQ(recase.status, 200) << "a project may change the case of its own name";
    EXPECT_EQ(recase.json()["name"], "KINASES");
    EXPECT_EQ(count_projects(), 3);
}

TEST_P(Projects, UpdateAcceptsOnlyNameAndDescription) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    const auto created = ada.create_named("Fixed");
    ASSERT_EQ(created.status, 201);
    const std::string id = created.json()["id"];
    const auto bobs_id = bob.create_named("Bob's").json()["id"];
    const std::vector<std::pair<std::string, nlohmann::json>> refused = {
        {"owner_id", {{"owner_id", kMissingId}}},
        {"id", {{"id", bobs_id}}},
        {"created_at", {{"created_at", "2000-01-01T00:00:00.000000Z"}}},
        {"updated_at", {{"updated_at", "2000-01-01T00:00:00.000000Z"}}},
        {"standardize", {{"standardize", false}}},
        {"owner_id", {{"name", "Renamed"}, {"owner_id", kMissingId}}},
    };
    for (const auto& [field, body] : refused) {
        SCOPED_TRACE(body.dump());
        const auto response = ada.patch(id, body);
        EXPECT_EQ(response.status, 422) << response.body;
        EXPECT_EQ(response.json()["errors"][0]["field"], field);
    }
    EXPECT_EQ(ada.patch(id, nlohmann::json::object()).status, 422) << "nothing to change";
    EXPECT_EQ(ada.patch(id, {{"name", nullptr}}).status, 422);
    EXPECT_EQ(ada.patch(id, {{"description", 7}}).status, 422);
    EXPECT_EQ(ada.send("PATCH", Caller::path(id), nlohmann::json::array()).status, 422);
    EXPECT_EQ(ada.get(id).json(), created.json()) << "nothing changed";
    const auto owner = query({"owner", "SELECT COUNT(DISTINCT owner_id) FROM projects"});
    EXPECT_EQ(owner.one().integer(0), 2);
}

TEST_P(Projects, PagesThroughSevenProjectsThreeAtATime) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    std::vector<std::string> created;
    for (int i = 0; i < 7; ++i) {
        const auto response = ada.create_named("Project " + std::to_string(i));
        ASSERT_EQ(response.status, 201);
        created.push_back(response.json()["id"]);
        ASSERT_EQ(bob.create_named("Bob " + std::to_string(i)).status, 201);
    }

    std::vector<std::string> seen;
    std::vector<std::size_t> page_sizes;
    std::string query_string = "?limit=3";
    for (int guard = 0; guard < 10; ++guard) {
        const auto page = ada.list(query_string);
        ASSERT_EQ(page.status, 200) << page.body;
        const auto body = page.json();
        page_sizes.push_back(body["items"].size());
        for (const auto& item : body["items"]) {
            seen.push_back(item["id"]);
        }
        if (body["next_cursor"].is_null()) {
            break;
        }
        query_string = "?limit=3&cursor=" + body["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(page_sizes, (std::vector<std::size_t>{3, 3, 1}));
    EXPECT_EQ(seen, created) << "each exactly once, oldest first";

    const auto whole = ada.list();
    EXPECT_EQ(whole.json()["items"].size(), 7U) << "the default limit is 50";
    EXPECT_TRUE(whole.json()["next_cursor"].is_null());
    const auto exact = ada.list("?limit=7");
    EXPECT_TRUE(exact.json()["next_cursor"].is_null()) << "no empty last page";
}

TEST_P(Projects, RefusesABadLimitOrCursor) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    ASSERT_EQ(ada.create_named("One").status, 201);
    ASSERT_EQ(ada.create_named("Two").status, 201);
    for (const std::string limit : {"0", "201", "-1", "abc", "", "1.5", "99999999999999999999"}) {
        SCOPED_TRACE(limit);
        const auto response = ada.list("?limit=" + limit);
        EXPECT_EQ(response.status, 422);
        EXPECT_EQ(response.json()["errors"][0]["field"], "limit");
    }
    EXPECT_EQ(ada.list("?limit=200").status, 200);
    EXPECT_EQ(ada.list("?limit=1").json()["items"].size(), 1U);

    const std::vector<std::string> cursors = {
        "",
        "!!!",
        "null",
        http::encode_cursor("garbage"),
        http::encode_cursor("2026-01-01T00:00:00.000000Z,not-a-uuid"),
        http::encode_cursor("yesterday," + std::string(kMissingId)),
        http::encode_cursor("2026-01-01T00:00:00.000000Z"),
        std::string(600, 'A'),
    };
    for (const auto& cursor : cursors) {
        SCOPED_TRACE(cursor);
        const auto response = ada.list("?cursor=" + cursor);
        EXPECT_EQ(response.status, 422) << response.body;
        EXPECT_EQ(response.json()["errors"][0]["field"], "cursor");
    }
}

TEST_P(Projects, RefusesTheProjectBeyondTheQuotaNamingTheLimit) {
    const auto server = start({{"QUOTA_PROJECTS_FREE", "3"}});
    auto ada = caller(*server, "ada@example.com");
    std::string first;
    for (int i = 0; i < 3; ++i) {
        const auto response = ada.create_named("P" + std::to_string(i));
        ASSERT_EQ(response.status, 201) << response.body;
        first = response.json()["id"];
    }
    const auto fourth = ada.create_named("P3");
    EXPECT_EQ(fourth.status, 403);
    EXPECT_EQ(fourth.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(fourth.json()["detail"], "Project limit reached: the free tier allows 3 projects");
    EXPECT_EQ(count_projects(), 3);

    ASSERT_EQ(ada.remove(first).status, 204);
    EXPECT_EQ(ada.create_named("P3").status, 201) << "deleting one makes room";
    auto bob = caller(*server, "bob@example.com");
    EXPECT_EQ(bob.create_named("P0").status, 201) << "the quota is per user";
}

TEST_P(Projects, ConcurrentCreatesNeverExceedTheQuota) {
    const auto server = start({{"QUOTA_PROJECTS_FREE", "5"}});
    const auto token = sign_up(server->port(), "race@example.com");
    constexpr int kThreads = 10;
    constexpr int kAttemptsPerThread = 3;
    // Each thread opens its connection first, then all send at once, so the creates overlap.
    std::latch ready(kThreads);
    std::vector<std::future<std::vector<int>>> results;
    for (int i = 0; i < kThreads; ++i) {
        results
            .push_back(std::async(std::launch::async, [port = server->port(), &token, &ready, i] {
                Caller own(port, token);
                EXPECT_EQ(own.list().status, 200);
                ready.arrive_and_wait();
                std::vector<int> statuses;
                for (int attempt = 0; attempt < kAttemptsPerThread; ++attempt) {
                    statuses.push_back(own.create_named(
                                              "Racer " + std::to_string(i) + "." +
                                              std::to_string(attempt)
                    )
                                           .status);
                }
                return statuses;
            }));
    }
    std::multiset<int> statuses;
    for (auto& result : results) {
        for (const int status : result.get()) {
            statuses.insert(status);
        }
    }
    EXPECT_EQ(statuses.count(201), 5U);
    EXPECT_EQ(statuses.count(403), static_cast<std::size_t>(kThreads * kAttemptsPerThread - 5));
    EXPECT_EQ(count_projects(), 5);
}

TEST_P(Projects, SetTierRaisesTheQuotaAndRefusesUnknownTiers) {
    const auto server = start({{"QUOTA_PROJECTS_FREE", "1"}, {"QUOTA_PROJECTS_PRO", "2"}});
    auto ada = caller(*server, "ada@example.com");
    ASSERT_EQ(ada.create_named("One").status, 201);
    ASSERT_EQ(ada.create_named("Two").status, 403);

    const TempDir cli_dir;
    const auto env = base_environment(cli_dir.path(), {{"DATABASE_URL", database_->url()}});
    for (const std::string tier : {"gold", "PRO", "admin"}) {
        SCOPED_TRACE(tier);
        const auto refused =
            run_molvault({"set-tier", "--email", "ada@example.com", "--tier", tier}, env);
        EXPECT_EQ(refused.exit_code, 1) << refused.output;
    }
    EXPECT_EQ(query({"tier", "SELECT tier FROM users"}).one().text(0), "free");
    const auto unknown =
        run_molvault({"set-tier", "--email", "ghost@example.com", "--tier", "pro"}, env);
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.output.find("No user has that email address"), std::string::npos);

    const auto raised =
        run_molvault({"set-tier", "--email", "ADA@example.com", "--tier", "pro"}, env);
    ASSERT_EQ(raised.exit_code, 0) << raised.output;
    EXPECT_NE(raised.output.find("to pro"), std::string::npos);
    EXPECT_EQ(ada.create_named("Two").status, 201) << "the new tier applies at once";
    const auto third = ada.create_named("Three");
    EXPECT_EQ(third.status, 403);
    EXPECT_EQ(third.json()["detail"], "Project limit reached: the pro tier allows 2 projects");

    ASSERT_EQ(
        run_molvault({"set-tier", "--email", "ada@example.com", "--tier", "enterprise"}, env)
            .exit_code,
        0
    );
    EXPECT_EQ(ada.create_named("Three").status, 201) << "enterprise is unlimited by default";
    const auto audit =
        query({"audit", "SELECT details FROM audit_events WHERE event = 'tier_changed' ORDER BY id"}
        );
    ASSERT_EQ(audit.rows.size(), 2U);
    EXPECT_EQ(
        nlohmann::json::parse(audit.rows[0].text(0)),
        (nlohmann::json{{"from", "free"}, {"to", "pro"}})
    );
}

TEST_P(Projects, ConcurrentRenamesAndDeletesLeaveNoOrphans) {
    const auto server = start();
    const auto token = sign_up(server->port(), "race@example.com");
    Caller ada(server->port(), token);
    constexpr int kProjectCount = 8;
    std::vector<std::string> ids;
    for (int i = 0; i < kProjectCount; ++i) {
        const auto response = ada.create_named("Doomed " + std::to_string(i));
        ASSERT_EQ(response.status, 201);
        ids.push_back(response.json()["id"]);
    }
    std::atomic<int> unexpected{0};
    std::vector<std::future<void>> work;
    for (int i = 0; i < kProjectCount; ++i) {
        work.push_back(std::async(std::launch::async, [&, i] {
            Caller own(server->port(), token);
            for (int round = 0; round < 5; ++round) {
                const auto status =
                    own.patch(
                           ids[i],
                           {{"name", "Renamed " + std::to_string(i) + "." + std::to_string(round)}}
                    ).status;
                if (status != 200 && status != 404) {
                    ++unexpected;
                }
            }
        }));
        work.push_back(std::async(std::launch::async, [&, i] {
            Caller own(server->port(), token);
            if (own.remove(ids[i]).status != 204) {
                ++unexpected;
            }
        }));
    }
    for (auto& task : work) {
        task.get();
    }
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(count_projects(), 0) << "every delete won, whatever the interleaving";
    EXPECT_TRUE(ada.list().json()["items"].empty());
    for (const auto& id : ids) {
        EXPECT_EQ(ada.get(id).status, 404);
    }
}

TEST_P(Projects, DeletingAUserDeletesTheirProjects) {
    const auto server = start();
    auto ada = caller(*server, "ada@example.com");
    auto bob = caller(*server, "bob@example.com");
    ASSERT_EQ(ada.create_named("Ada's").status, 201);
    ASSERT_EQ(bob.create_named("Bob's").status, 201);
    query({"delete_user", "DELETE FROM users WHERE email = $1"}, {"ada@example.com"});
    const auto left = query({"left", "SELECT name FROM projects"});
    ASSERT_EQ(left.rows.size(), 1U) << "no project is left without its owner";
    EXPECT_EQ(left.rows[0].text(0), "Bob's");
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, Projects, testing::Values(db::Backend::kSqlite, db::Backend::kPostgres)
);

}  // namespace
}  // namespace molvault::test
