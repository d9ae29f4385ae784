// The HTTP API's resources through a real client against a real host and
// database: executions (start, read, list with filters and cursors, signal,
// cancel, bulk cancel), traces, the dead-letter queue, health and metrics.
#include "http_fixture.hpp"

#include <set>

using weft::Json;
using weft::test::eventually;
using weft::test::HostFixture;
using weft::test::HttpHost;

namespace {

void approval_workflow(HostFixture& fx) {
  fx.workflow("approval.yaml", R"(
id: approval
key: ${ input.order }
steps:
  - id: ask
    wait: { signal: approve, timeout: 1h }
  - id: done
    lua: done.lua
)");
  fx.script("done.lua", "return function(ctx, input) return { approved_by = ctx.steps.ask.output.by } end\n");
}

void failing_workflow(HostFixture& fx) {
  fx.workflow("fragile.yaml", R"(
id: fragile
on_failure: fail
steps:
  - id: boom
    lua: boom.lua
    retry: { max_attempts: 1 }
)");
  fx.script("boom.lua", "return function(ctx, input) weft.fail('broken', 'always breaks') end\n");
}

std::string status_of(weft::test::HttpClient& client, const std::string& id) {
  const auto answer = client.get("/v1/executions/" + id);
  if (answer.status != 200) return "http " + std::to_string(answer.status);
  return std::string(answer.json().at("status").as_string());
}

}  // namespace

TEST_CASE("executions are started, read, signalled and cancelled over HTTP", "[http][pg]") {
  HostFixture fx;
  approval_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;

  const auto started = client.post_json("/v1/workflows/approval/executions", R"({"input":{"order":"o-1"}})");
  REQUIRE(started.status == 201);
  const std::string id(started.json().at("id").as_string());
  const auto again = client.post_json("/v1/workflows/approval/executions", R"({"input":{"order":"o-1"}})");
  CHECK(again.status == 200);  // the key exists: the same execution
  CHECK(again.json().at("id").as_string() == id);
  CHECK(client.post_json("/v1/workflows/nope/executions", "{}").status == 404);
  CHECK(client.post_json("/v1/workflows/approval/executions", R"({"inputs":{}})").status == 400);

  REQUIRE(eventually([&] { return status_of(client, id) == "waiting"; }));
  // The shape is the CLI's `status --json`.
  const auto cli = fx.weft({"status", id, "--json"});
  REQUIRE(cli.exit_code == 0);
  const auto http_view = client.get("/v1/executions/" + id).json();
  const auto cli_view = *weft::parse_json(cli.out);
  std::set<std::string> http_keys, cli_keys;
  for (const auto& member : http_view.as_object()) http_keys.insert(std::string(member.key()));
  for (const auto& member : cli_view.as_object()) cli_keys.insert(std::string(member.key()));
  CHECK(http_keys == cli_keys);

  CHECK(client.post_json("/v1/executions/" + id + "/signals/reject", "{}").status == 400);
  const auto signalled = client.post_json("/v1/executions/" + id + "/signals/approve", R"({"by":"cfo"})");
  CHECK(signalled.status == 202);
  REQUIRE(eventually([&] { return status_of(client, id) == "completed"; }));
  const auto done = client.get("/v1/executions/" + id).json();
  CHECK(done.at("output").at("approved_by").as_string() == "cfo");

  // A finished execution refuses a signal and a cancel with 409; unknown ones get 404.
  const auto late = client.post_json("/v1/executions/" + id + "/signals/approve", "{}");
  CHECK(late.status == 409);
  CHECK(late.error_code() == "conflict");
  CHECK(client.post_json("/v1/executions/" + id + "/cancel", "").status == 409);
  CHECK(client.get("/v1/executions/00000000-0000-7000-8000-000000000000").status == 404);
  CHECK(client.get("/v1/executions/not-a-uuid").status == 404);

  // Cancel one that waits.
  const auto second = client.post_json("/v1/workflows/approval/executions", R"({"input":{"order":"o-2"}})");
  const std::string second_id(second.json().at("id").as_string());
  REQUIRE(eventually([&] { return status_of(client, second_id) == "waiting"; }));
  CHECK(client.post_json("/v1/executions/" + second_id + "/cancel", "").status == 202);
  REQUIRE(eventually([&] { return status_of(client, second_id) == "cancelled"; }));

  // The trace of the first execution.
  const auto trace_id = std::string(done.at("trace_id").as_string());
  const auto trace = client.get("/v1/traces/" + trace_id);
  REQUIRE(trace.status == 200);
  CHECK(trace.json().at("summary").at("executions").as_int64() == 1);
  CHECK(!trace.json().at("timeline").as_array().empty());
  CHECK(client.get("/v1/traces/0123456789abcdef0123456789abcdef").status == 404);
}

TEST_CASE("lists filter and page with cursors, and bulk cancel goes by filter", "[http][pg]") {
  HostFixture fx;
  approval_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  std::set<std::string> started;
  for (int i = 0; i < 7; ++i) {
    const auto answer = client.post_json("/v1/workflows/approval/executions",
                                         R"({"input":{"order":"p-)" + std::to_string(i) + R"("}})");
    REQUIRE(answer.status == 201);
    started.insert(std::string(answer.json().at("id").as_string()));
  }
  // Pages of 3: every execution once, newest first, then no cursor.
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    const auto page = client.get("/v1/executions?workflow=approval&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(page.status == 200);
    const auto body = page.json();
    for (const auto& row : body.at("executions").as_array()) CHECK(seen.insert(std::string(row.at("id").as_string())).second);
    const auto& next = body.at("next_cursor");
    cursor = next.is_null() ? "" : std::string(next.as_string());
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen == started);
  CHECK(pages == 3);

  const auto by_key = client.get("/v1/executions?key=p-3");
  REQUIRE(by_key.status == 200);
  CHECK(by_key.json().at("executions").as_array().size() == 1);
  CHECK(client.get("/v1/executions?status=bogus").status == 400);
  CHECK(client.get("/v1/executions?limit=0").status == 400);
  CHECK(client.get("/v1/executions?limit=1001").status == 400);
  CHECK(client.get("/v1/executions?since=yesterday").status == 400);
  CHECK(client.get("/v1/executions?color=red").status == 400);
  // A cursor that was edited is refused, not followed.
  const auto first = client.get("/v1/executions?limit=2").json();
  auto edited = std::string(first.at("next_cursor").as_string());
  edited[0] = edited[0] == '1' ? '2' : '1';
  const auto tampered = client.get("/v1/executions?limit=2&cursor=" + edited);
  CHECK(tampered.status == 400);
  CHECK(tampered.error_code() == "bad_request");

  REQUIRE(eventually([&] {
    return client.get("/v1/executions?status=waiting&limit=100").json().at("executions").as_array().size() == 7;
  }));
  const auto bulk = client.post_json("/v1/executions/cancel", R"({"workflow":"approval","key":"p-1"})");
  CHECK(bulk.status == 202);
  CHECK(bulk.json().at("cancelled").as_int64() == 1);
  const auto rest = client.post_json("/v1/executions/cancel?workflow=approval", "");
  CHECK(rest.json().at("cancelled").as_int64() == 6);
  REQUIRE(eventually([&] {
    return client.get("/v1/executions?status=cancelled").json().at("executions").as_array().size() == 7;
  }));
}

TEST_CASE("the dead-letter queue is listed and retried over HTTP", "[http][pg]") {
  HostFixture fx;
  failing_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.emplace_back(client.post_json("/v1/workflows/fragile/executions", "{}").json().at("id").as_string());
  REQUIRE(eventually([&] { return client.get("/v1/dlq").json().at("dead_letters").as_array().size() == 3; }));
  const auto letters = client.get("/v1/dlq?limit=2").json();
  CHECK(letters.at("dead_letters").as_array().size() == 2);
  CHECK(letters.at("dead_letters").as_array()[0].at("error").at("code").as_string() == "broken");
  CHECK(!letters.at("next_cursor").is_null());

  CHECK(client.post_json("/v1/dlq/" + ids[0] + "/retry", "").status == 202);
  CHECK(client.post_json("/v1/dlq/00000000-0000-7000-8000-000000000000/retry", "").status == 404);
  // It fails again (the step always breaks); then the others are retried in bulk.
  REQUIRE(eventually([&] { return status_of(client, ids[0]) == "failed"; }));
  const auto bulk = client.post_json("/v1/dlq/retry", R"({"workflow":"fragile"})");
  CHECK(bulk.status == 202);
  CHECK(bulk.json().at("retried").as_int64() == 3);
  REQUIRE(eventually([&] {
    const auto detail = client.get("/v1/executions/" + ids[2]).json();
    return detail.at("status") == "failed" && detail.at("steps").as_array()[0].at("attempts").as_int64() == 2;
  }));
}

TEST_CASE("health, readiness and liveness", "[http][pg]") {
  HostFixture fx;
  failing_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  CHECK(client.get("/healthz").status == 200);
  REQUIRE(eventually([&] { return client.get("/readyz").status == 200; }));
  const auto health = client.get("/v1/health");
  REQUIRE(health.status == 200);
  const auto body = health.json();
  CHECK(body.at("level") == "HEALTHY");
  std::set<std::string> names;
  for (const auto& check : body.at("checks").as_array()) {
    names.insert(std::string(check.at("name").as_string()));
    CHECK(!check.at("advice").as_string().empty());
  }
  CHECK(names == std::set<std::string>{"backlog", "breakers", "database", "dead_letters", "definitions", "lease", "pool"});
}
