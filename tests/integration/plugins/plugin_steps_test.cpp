// Plugin steps in a running host: end to end through
// `weft serve --plugins`, errors with their retryability, ctx.db() in the
// step's transaction, compensations, and definitions checked against plugins.
#include "../host/host_fixture.hpp"
#include "plugin_fixtures.hpp"

#include <pqxx/pqxx>

#include <fstream>
#include <thread>

using weft::test::HostFixture;
using weft::test::install_fixture;
using weft::test::step_of;

namespace {

struct PluginFixture : HostFixture {
  PluginFixture() {
    for (const auto* name : {"echo", "throws"}) install_fixture(plugins(), name);
  }
  std::string plugins() const { return (dir().path() / "plugins").string(); }

  std::unique_ptr<weft::test::HostProcess> serve_with_plugins(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--plugins", plugins()});
    return serve(extra);
  }

  std::int64_t count(const std::string& query) {
    pqxx::connection db(url());
    pqxx::nontransaction txn(db);
    return txn.exec1(query)[0].as<std::int64_t>();
  }
};

}  // namespace

TEST_CASE("a plugin step runs end to end in weft serve with its config and context", "[plugin][pg]") {
  PluginFixture fx;
  fx.workflow("greet.yaml", R"(
id: greet
steps:
  - id: hello
    plugin: echo.echo
    input: { name: "${ input.name }" }
)");
  const auto config = fx.dir().write("weft.yaml", "plugins:\n  echo: { greeting: hi }\n");
  auto host = fx.serve_with_plugins({"--config", config.string()});
  const auto id = fx.start("greet", R"({"name":"Ada"})");
  const auto detail = fx.finished(id);
  REQUIRE(detail.summary.status == "completed");
  const auto& output = step_of(detail, "hello").state.output.as_object();
  CHECK(output.at("input").at("name") == "Ada");
  CHECK(output.at("config").at("greeting") == "hi");
  CHECK(output.at("workflow") == "greet");
  CHECK(output.at("step") == "hello");
  CHECK(output.at("attempt") == 1);
  CHECK(output.at("execution_id") == weft::Json(id));
  CHECK(output.at("trace_id") == weft::Json(detail.summary.trace_id));
  CHECK(output.at("idempotency_key") == weft::Json(id + ":hello"));
  CHECK_THAT(host->log(), Catch::Contains("loaded plugin echo 0.3.0") && Catch::Contains("echo called"));
}

TEST_CASE("a thrown std exception is retried and so is a non-std throw but a weft::Failure is not", "[plugin][pg]") {
  PluginFixture fx;
  // One workflow per kind of throw.
  for (const auto* kind : {"std", "int", "failure"}) {
    fx.workflow(std::string("boom_") + kind + ".yaml", std::string(R"(
id: boom-)") + kind + R"(
on_failure: fail
steps:
  - id: call
    plugin: throws.)" + kind + R"(
    retry: { max_attempts: 3, initial_interval: 10ms }
)");
  }
  auto host = fx.serve_with_plugins();

  const auto std_detail = fx.finished(fx.start("boom-std"));
  CHECK(std_detail.summary.status == "failed");
  CHECK(step_of(std_detail, "call").attempts.size() == 3);
  CHECK(std_detail.error.at("code") == "error");
  CHECK(std_detail.error.at("message") == "the ledger is locked");

  const auto int_detail = fx.finished(fx.start("boom-int"));
  CHECK(int_detail.summary.status == "failed");
  CHECK(step_of(int_detail, "call").attempts.size() == 3);
  CHECK(int_detail.error.at("code") == "error");

  const auto failure_detail = fx.finished(fx.start("boom-failure"));
  CHECK(failure_detail.summary.status == "failed");
  CHECK(step_of(failure_detail, "call").attempts.size() == 1);
  CHECK(failure_detail.error.at("code") == "card_declined");
  CHECK(failure_detail.error.at("retryable") == false);
  CHECK(host->running());
}

TEST_CASE("a transactional plugin step's writes and events commit with its checkpoint, or not at all", "[plugin][transactions][pg]") {
  PluginFixture fx;
  fx.sql("CREATE TABLE plugin_rows (id text PRIMARY KEY, note text)");
  fx.workflow("record.yaml", R"(
id: record
on_failure: fail
steps:
  - id: write
    plugin: echo.record
    transaction: true
    input: ${ input }
)");
  fx.workflow("after.yaml", R"(
id: after
on: [ { type: plugin.recorded } ]
steps:
  - id: note
    lua: note.lua
)");
  fx.script("note.lua", "return function(ctx, input) return { seen = input.id } end\n");
  auto host = fx.serve_with_plugins();

  const auto good = fx.finished(fx.start("record", R"({"id":"r-1","note":"kept"})"));
  REQUIRE(good.summary.status == "completed");
  CHECK(step_of(good, "write").state.output.at("total") == 1);
  CHECK(fx.count("SELECT count(*) FROM plugin_rows WHERE id = 'r-1' AND note = 'kept'") == 1);
  const auto followers = fx.executions_of_trace(good.summary.trace_id, 2);
  CHECK(followers.size() == 2);

  const auto bad = fx.finished(fx.start("record", R"({"id":"r-2","note":"lost","fail_after_write":true})"));
  REQUIRE(bad.summary.status == "failed");
  CHECK(bad.error.at("code") == "after_write");
  CHECK(fx.count("SELECT count(*) FROM plugin_rows WHERE id = 'r-2'") == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(fx.store().executions_of_trace(bad.summary.trace_id).size() == 1);  // its event was never stored

  // A constraint violation inside the plugin's SQL is classified like Lua's.
  const auto duplicate = fx.finished(fx.start("record", R"({"id":"r-1","note":"again"})"));
  REQUIRE(duplicate.summary.status == "failed");
  CHECK(duplicate.error.at("code") == "constraint_violation");
  CHECK(step_of(duplicate, "write").attempts.size() == 1);
}

TEST_CASE("plugin compensations run when a later step fails", "[plugin][saga][pg]") {
  PluginFixture fx;
  fx.sql("CREATE TABLE plugin_rows (id text PRIMARY KEY, note text)");
  fx.workflow("saga.yaml", R"(
id: saga
steps:
  - id: first
    plugin: echo.echo
    compensate: { plugin: echo.record, transaction: true, input: { id: "undo-${ execution.id }", note: "undone" } }
  - id: second
    plugin: throws.failure
)");
  auto host = fx.serve_with_plugins();
  const auto id = fx.start("saga");
  const auto detail = fx.finished(id);
  CHECK(detail.summary.status == "compensated");
  CHECK(fx.count("SELECT count(*) FROM plugin_rows WHERE id = 'undo-" + id + "'") == 1);
}

TEST_CASE("a plugin call that overruns its timeout fails with timeout when it returns", "[plugin][pg]") {
  PluginFixture fx;
  fx.workflow("slow.yaml", R"(
id: slow
on_failure: fail
steps:
  - id: wait
    plugin: echo.slow
    input: { ms: 400 }
    timeout: 100ms
    retry: { max_attempts: 1 }
)");
  auto host = fx.serve_with_plugins();
  const auto detail = fx.finished(fx.start("slow"));
  CHECK(detail.summary.status == "failed");
  CHECK(detail.error.at("code") == "timeout");
  CHECK_THAT(std::string(detail.error.at("message").as_string()), Catch::Contains("checked when the call returned"));
}

TEST_CASE("definitions naming a missing plugin action are reported at load", "[plugin][pg]") {
  PluginFixture fx;
  fx.workflow("typo.yaml", R"(
id: typo
steps:
  - id: call
    plugin: echo.ehco
)");
  const auto validated = weft::test::run_weft({"validate", "--plugins", fx.plugins(), fx.workflows()});
  CHECK(validated.exit_code == 2);
  CHECK_THAT(validated.err, Catch::Contains("typo.yaml:5:") && Catch::Contains("has no action 'ehco'"));
  const auto no_plugin = fx.dir().write("workflows/other.yaml", "id: other\nsteps:\n  - id: a\n    plugin: ledger.post\n");
  const auto again = weft::test::run_weft({"validate", "--plugins", fx.plugins(), no_plugin.string()});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("no loaded plugin is named 'ledger'"));
  // Without a plugins directory nothing is known to check against.
  CHECK(weft::test::run_weft({"validate", no_plugin.string()}).exit_code == 0);
}

TEST_CASE("weft serve refuses a plugins directory that does not exist", "[plugin][pg]") {
  PluginFixture fx;
  fx.workflow("greet.yaml", "id: greet\nsteps:\n  - id: hello\n    plugin: echo.echo\n");
  const auto missing = (fx.dir().path() / "no-such-dir").string();
  const auto result = fx.weft({"serve", "--workflows", fx.workflows(), "--plugins", missing});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("plugins directory '" + missing + "' does not exist"));
}

TEST_CASE("a plugin step on a host without that plugin fails as unknown_action, not retried", "[plugin][pg]") {
  PluginFixture fx;
  fx.workflow("orphan.yaml", R"(
id: orphan
on_failure: fail
steps:
  - id: call
    plugin: ledger.post
)");
  auto host = fx.serve();  // no --plugins: the definition cannot be checked, the step cannot run
  const auto detail = fx.finished(fx.start("orphan"));
  CHECK(detail.summary.status == "failed");
  CHECK(detail.error.at("code") == "unknown_action");
  CHECK(step_of(detail, "call").attempts.size() == 1);
}

TEST_CASE("bad files in the plugins directory are refused and the host serves the rest", "[plugin][pg]") {
  PluginFixture fx;
  for (const auto* name : {"bad_abi", "init_throws", "duplicate_action", "not_a_plugin"})
    install_fixture(fx.plugins(), name);
  fx.workflow("greet.yaml", "id: greet\nsteps:\n  - id: hello\n    plugin: echo.echo\n");
  auto host = fx.serve_with_plugins();
  const auto detail = fx.finished(fx.start("greet"));
  CHECK(detail.summary.status == "completed");
  const auto log = host->log();
  CHECK_THAT(log, Catch::Contains("libweft_bad_abi.so refused") && Catch::Contains("ABI 99.0") &&
                      Catch::Contains("ABI 1.0"));
  CHECK_THAT(log, Catch::Contains("libweft_init_throws.so refused"));
  CHECK_THAT(log, Catch::Contains("libweft_duplicate_action.so refused"));
  CHECK_THAT(log, Catch::Contains("libweft_not_a_plugin.so refused"));
}

TEST_CASE("the checkout example pays through the payments plugin and a declined card releases the stock", "[plugin][examples][pg]") {
  HostFixture fx;
  const std::string workflows = std::string(WEFT_SOURCE_DIR) + "/workflows";
  // The first-party plugins as built, with the payment limit from the config file.
  const auto config = fx.dir().write("weft.yaml", "plugins:\n  payments: { max_amount: 100 }\n");
  auto host = std::make_unique<weft::test::HostProcess>(
      std::vector<std::string>{"serve", "--workflows", workflows, "--plugins", WEFT_PLUGINS_DIR, "--config",
                               config.string(), "--db", fx.url()},
      fx.dir().path() / "checkout-host.log");
  const auto setup = fx.weft({"start", "shop-setup", "--workflows", workflows});
  REQUIRE(setup.exit_code == 0);
  REQUIRE(fx.finished(setup.out.substr(0, 36)).summary.status == "completed");

  std::ifstream file(std::string(WEFT_SOURCE_DIR) + "/examples/checkout-requested.json");
  const std::string event((std::istreambuf_iterator<char>(file)), {});
  const auto emitted = fx.weft({"emit"}, event);
  REQUIRE(emitted.exit_code == 0);
  const auto paid = fx.finished(fx.executions_of_trace(weft::test::trace_of_emit(emitted.out), 1).at(0).id);
  REQUIRE(paid.summary.status == "completed");
  const auto reference = std::string(step_of(paid, "charge").state.output.at("reference").as_string());
  CHECK(paid.output.at("payment") == weft::Json(reference));

  // 20 x 12.50 is above max_amount: card_declined, not retried, stock back.
  const auto declined =
      fx.weft({"start", "checkout", "--workflows", workflows, "--input", R"({"order_id":"c-2","sku":"SKU-1","qty":20})"});
  REQUIRE(declined.exit_code == 0);
  const auto detail = fx.finished(declined.out.substr(0, 36));
  CHECK(detail.summary.status == "compensated");
  CHECK(step_of(detail, "charge").attempts.size() == 1);
  CHECK(step_of(detail, "charge").state.error.at("code") == "card_declined");

  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM payments WHERE reference = " + txn.quote(reference))[0].as<int>() == 1);
  CHECK(txn.exec1("SELECT count(*) FROM payments WHERE order_id = 'c-2'")[0].as<int>() == 0);
  CHECK(txn.exec1("SELECT stock FROM inventory WHERE sku = 'SKU-1'")[0].as<int>() == 498);
}

TEST_CASE("weft serve --watch replaces an overwritten plugin and stops serving a removed one", "[plugin][reload][pg]") {
  PluginFixture fx;
  const auto installed = install_fixture(fx.plugins(), "blocker_v1", "libweft_blocker.so");
  const auto shutdown_log = fx.dir().path() / "shutdowns.txt";
  const auto config = fx.dir().write(
      "weft.yaml", "plugins:\n  blocker: { shutdown_log: \"" + shutdown_log.string() + "\" }\n");
  fx.workflow("which.yaml", R"(
id: which
steps:
  - id: ask
    plugin: blocker.version
    retry: { max_attempts: 1 }
)");
  auto host = fx.serve_with_plugins({"--config", config.string(), "--watch"});
  const auto version_of_new_run = [&] {
    const auto detail = fx.finished(fx.start("which"));
    return detail.summary.status == "completed"
               ? std::string(step_of(detail, "ask").state.output.at("version").as_string())
               : std::string(detail.summary.status);
  };
  REQUIRE(version_of_new_run() == "1.0.0");

  // Overwritten in place, as a deploy would: the host loads a private copy of the new file.
  std::filesystem::copy_file(weft::test::fixture_plugin("blocker_v2"), installed,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(weft::test::eventually([&] { return version_of_new_run() == "2.0.0"; }, std::chrono::seconds(15)));
  // The old build ran its shutdown hook once its calls were done.
  REQUIRE(weft::test::eventually([&] {
    std::ifstream log(shutdown_log);
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    return text.find("shutdown 1.0.0") != std::string::npos;
  }));

  std::filesystem::remove(installed);
  REQUIRE(weft::test::eventually(
      [&] {
        const auto detail = fx.finished(fx.start("which"));
        return detail.summary.status == "failed" &&
               step_of(detail, "ask").state.error.at("code").as_string() == "unknown_action";
      },
      std::chrono::seconds(15)));
  CHECK(host->running());
}
