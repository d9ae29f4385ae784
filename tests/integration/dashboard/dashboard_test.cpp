// The dashboard in a real headless Chromium against a real host: every page
// renders what the host did, a live execution changes on the page without a
// reload, cancel and dead-letter retry work from the page, and nothing on any
// page logs an error. Screenshots of each page go to WEFT_SCREENSHOTS.
#include "../http/http_fixture.hpp"
#include "support/browser.hpp"

using weft::test::Browser;
using weft::test::HostFixture;
using weft::test::HttpClient;
using weft::test::HttpHost;

namespace {

void workflows(HostFixture& fx) {
  fx.workflow("approval.yaml", R"(
id: approval
description: Wait for a person, then finish
steps:
  - id: prepare
    lua: ok.lua
  - id: ask
    wait: { signal: approve, timeout: 1h }
  - id: done
    lua: ok.lua
)");
  fx.workflow("fragile.yaml", R"(
id: fragile
on_failure: fail
steps:
  - id: boom
    lua: boom.lua
    retry: { max_attempts: 2, initial_interval: 10ms }
)");
  fx.script("ok.lua", "return function(ctx, input) return { fine = true } end\n");
  fx.script("boom.lua", "return function(ctx, input) weft.fail('broken', 'always breaks') end\n");
}

std::string started(HttpClient& client, const std::string& workflow) {
  const auto answer = client.post_json("/v1/workflows/" + workflow + "/executions", "{}");
  INFO(answer.body);
  REQUIRE(answer.status == 201);
  return std::string(answer.json().at("id").as_string());
}

std::string status_of(HttpClient& client, const std::string& id) {
  return std::string(client.get("/v1/executions/" + id).json().at("status").as_string());
}

std::string quoted(const std::string& text) { return weft::to_json_text(weft::Json(text)); }

/// The page's own ready flag (set once its first data is on screen).
bool page_ready(Browser& browser, const std::string& page) {
  return browser.wait_for("document.body.dataset.page === " + quoted(page) + " && document.body.dataset.ready === 'true'");
}

std::string text_of(Browser& browser, const std::string& selector) {
  const auto value = browser.evaluate("(document.querySelector(" + quoted(selector) + ") || {}).textContent || ''");
  return value.is_string() ? std::string(value.as_string()) : "";
}

}  // namespace

TEST_CASE("the dashboard shows, follows and acts on executions in a real browser", "[dashboard][pg]") {
  REQUIRE(Browser::available());
  HostFixture fx;
  workflows(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  const auto waiting = started(client, "approval");
  const auto to_cancel = started(client, "approval");
  const auto failing = started(client, "fragile");
  REQUIRE(weft::test::eventually([&] {
    return status_of(client, waiting) == "waiting" && status_of(client, to_cancel) == "waiting" &&
           status_of(client, failing) == "failed";
  }));

  Browser browser(fx.dir().path() / "chromium");
  const std::string base = "http://127.0.0.1:" + std::to_string(http.port) + "/";
  const std::filesystem::path shots = WEFT_SCREENSHOTS;

  // Executions: every one the test started, with its status.
  browser.navigate(base + "#/executions");
  REQUIRE(page_ready(browser, "executions"));
  for (const auto& [id, status] : {std::pair{waiting, "waiting"}, {to_cancel, "waiting"}, {failing, "failed"}}) {
    INFO(id);
    CHECK(browser.wait_for("(document.querySelector('[data-testid=executions-table] tr[data-execution-id=\"" + id +
                           "\"] [data-field=status]') || {}).textContent === " + quoted(status)));
  }
  browser.screenshot(shots / "executions.png");

  // One execution: its graph, timeline and steps; then it changes on the page
  // without a reload when another client signals it.
  browser.navigate(base + "#/executions/" + waiting);
  REQUIRE(page_ready(browser, "execution"));
  CHECK(text_of(browser, "[data-testid=execution-status]") == "waiting");
  CHECK(browser.evaluate("document.querySelectorAll('[data-testid=dag] [data-step]').length") == 3);
  CHECK(browser.evaluate("document.querySelector('[data-testid=dag] [data-step=prepare]').dataset.status") == "completed");
  CHECK(browser.evaluate("document.querySelectorAll('[data-testid=gantt] [data-attempt]').length").to_number<int>() >= 1);
  CHECK(browser.evaluate("document.querySelectorAll('[data-testid=step-row]').length").to_number<int>() >= 2);
  browser.screenshot(shots / "execution-waiting.png");
  browser.evaluate("window.__sameDocument = true");
  REQUIRE(client.post_json("/v1/executions/" + waiting + "/signals/approve", R"({"by":"ana"})").status == 202);
  CHECK(browser.wait_for("document.querySelector('[data-testid=execution-status]').textContent === 'completed'"));
  CHECK(browser.evaluate("window.__sameDocument === true") == true);  // no reload happened
  CHECK(browser.wait_for("document.querySelector('[data-testid=dag] [data-step=done]').dataset.status === 'completed'"));
  browser.screenshot(shots / "execution.png");

  // Cancel from the page (through its confirmation dialog).
  browser.navigate(base + "#/executions/" + to_cancel);
  REQUIRE(page_ready(browser, "execution"));
  REQUIRE(browser.click("[data-action=cancel]"));
  REQUIRE(browser.wait_for("document.querySelector('[data-action=confirm]')"));
  REQUIRE(browser.click("[data-action=confirm]"));
  CHECK(weft::test::eventually([&] { return status_of(client, to_cancel) != "waiting"; }));
  CHECK(browser.wait_for("document.querySelector('[data-testid=execution-status]').textContent !== 'waiting'"));

  // The dead-letter queue: retry the failed execution from the page.
  browser.navigate(base + "#/dlq");
  REQUIRE(page_ready(browser, "dlq"));
  const std::string row = "[data-testid=dlq-table] tr[data-execution-id=\"" + failing + "\"]";
  REQUIRE(browser.wait_for("document.querySelector(" + quoted(row) + ")"));
  browser.screenshot(shots / "dead-letters.png");
  REQUIRE(browser.click(row + " input[type=checkbox]"));
  REQUIRE(browser.click("[data-action=retry-selected]"));
  if (browser.wait_for("document.querySelector('dialog[open] [data-action=confirm]')", std::chrono::seconds(2)))
    REQUIRE(browser.click("dialog[open] [data-action=confirm]"));
  // Retried: the step runs again (a second attempt; weft.fail is not retried by itself).
  CHECK(weft::test::eventually([&] {
    const auto detail = client.get("/v1/executions/" + failing).json();
    return detail.at("steps").as_array().at(0).at("attempts").to_number<int>() == 2;
  }));
  CHECK(!text_of(browser, "[data-testid=action-result]").empty());

  // The trace of the signalled execution, the workflows and health pages.
  const std::string trace(client.get("/v1/executions/" + waiting).json().at("trace_id").as_string());
  browser.navigate(base + "#/traces/" + trace);
  REQUIRE(page_ready(browser, "trace"));
  CHECK(browser.evaluate("document.body.textContent.includes(" + quoted(waiting) + ")") == true);
  browser.screenshot(shots / "trace.png");
  browser.navigate(base + "#/workflows");
  REQUIRE(page_ready(browser, "workflows"));
  CHECK(browser.evaluate("document.body.textContent.includes('approval') && document.body.textContent.includes('fragile')") ==
        true);
  browser.screenshot(shots / "workflows.png");
  browser.navigate(base + "#/health");
  REQUIRE(page_ready(browser, "health"));
  CHECK(browser.wait_for("['HEALTHY','DEGRADED','UNHEALTHY','CRITICAL'].includes(document.querySelector('[data-testid=health-level]').textContent.trim())"));
  browser.screenshot(shots / "health.png");

  // On a phone-sized screen the executions page still renders.
  browser.resize(390, 844);
  browser.navigate(base + "#/executions");
  REQUIRE(page_ready(browser, "executions"));
  browser.screenshot(shots / "executions-phone.png");

  const auto errors = browser.errors();
  for (const auto& error : errors) UNSCOPED_INFO(error);
  CHECK(errors.empty());
}

TEST_CASE("the dashboard's files are served with their type, a validator and a content security policy", "[dashboard][pg]") {
  HostFixture fx;
  workflows(fx);
  HttpHost http(fx, {}, {"WEFT_API_TOKEN=t0ken"});
  auto& client = *http.client;
  // The page loads without the token (it holds no data); the API still needs it.
  const auto page = client.get("/");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").find("text/html") == 0);
  CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.body.find("/ui/app.js") != std::string::npos);
  const auto script = client.get("/ui/app.js");
  CHECK(script.status == 200);
  CHECK(script.header("content-type").find("text/javascript") == 0);
  const auto again = client.request("GET", "/ui/app.js", "", {{"If-None-Match", script.header("etag")}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(client.get("/ui/nothing.js").status == 404);
  const auto escape = client.get("/ui/../../etc/passwd").status;  // only the compiled-in files exist
  CHECK((escape == 404 || escape == 400));
  CHECK(client.get("/v1/executions").status == 401);
}
