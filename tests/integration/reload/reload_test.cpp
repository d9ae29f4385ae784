// Hot reload with a real `weft serve --watch`: edits serve new
// executions, executions already started finish on the version they pinned,
// invalid edits keep the previous version serving, files come and go.
#include "../host/host_fixture.hpp"
#include "definitions/loader.hpp"

#include <pqxx/pqxx>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using weft::test::eventually;
using weft::test::HostFixture;
using weft::test::HostProcess;
using weft::test::step_of;
using weft::test::trace_of_emit;

namespace {

// Waits for the signal `go` when the event asks for it; `bye` says which version ran it.
constexpr const char* kGreet = R"(id: greet
on: [ { type: greet } ]
steps:
  - { id: hello, lua: hello.lua }
  - id: approval
    if: ${ input.wait == true }
    wait: { signal: go, timeout: 1h }
  - { id: bye, lua: bye.lua }
)";

std::string saying(const std::string& text) {
  return "return function(ctx, input) return { said = \"" + text + "\" } end\n";
}

/// Saves like an editor does: a temporary file beside the target, renamed over it.
void save(const HostFixture& fx, const std::string& relative, const std::string& content) {
  const auto target = fs::path(fx.workflows()) / relative;
  const auto temporary = target.parent_path() / ("." + target.filename().string() + ".tmp");
  std::ofstream(temporary) << content;
  fs::rename(temporary, target);
}

bool logged(const HostProcess& host, const std::string& text, std::chrono::milliseconds timeout = 10s) {
  const bool found = eventually([&] { return host.log().find(text) != std::string::npos; }, timeout);
  if (!found) UNSCOPED_INFO("not in the host log: " << text << "\n--- log ---\n" << host.log());
  return found;
}

/// Emits one event and waits until the host routed it; the execution it started.
weft::store::ExecutionSummary route(HostFixture& fx, const std::string& type, const std::string& data) {
  const auto emitted = fx.weft({"emit", "--type", type, "--data", data});
  REQUIRE(emitted.exit_code == 0);
  const auto executions = fx.executions_of_trace(trace_of_emit(emitted.out), 1);
  REQUIRE(executions.size() == 1);
  return executions[0];
}

/// The line of `text` that contains `needle` (empty when none does).
std::string line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return {};
  const auto newline_before = text.rfind('\n', at);
  const auto begin = newline_before == std::string::npos ? 0 : newline_before + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

// Parked on its wait: status waiting and no host holds it.
bool parked(HostFixture& fx, const std::string& id) {
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  const auto row = txn.exec_params1("SELECT status, owner IS NULL FROM weft.executions WHERE id = $1::uuid", id);
  return std::string(row[0].c_str()) == "waiting" && row[1].as<bool>();
}

/// greet.yaml and its scripts, as version 1.
void write_greet(HostFixture& fx) {
  fx.workflow("greet.yaml", kGreet);
  fx.script("hello.lua", saying("hello v1"));
  fx.script("bye.lua", saying("bye v1"));
}

/// greet.yaml with an unknown key on line 8.
std::string broken_greet() {
  std::string broken = kGreet;
  broken.replace(broken.find("  - { id: bye"), 0, "  - { id: oops, lua: bye.lua, retries: 3 }\n");
  return broken;
}

std::unique_ptr<HostProcess> serve_greet(HostFixture& fx) {
  write_greet(fx);
  auto host = fx.serve({"--watch"});
  REQUIRE(logged(*host, "watching " + fx.workflows() + " for changes"));
  return host;
}

}  // namespace

TEST_CASE("an edit serves new executions while a waiting one finishes on its old version", "[reload][pg]") {
  HostFixture fx;
  auto host = serve_greet(fx);
  const auto before = route(fx, "greet", R"({"wait": true})");
  REQUIRE(eventually([&] { return parked(fx, before.id); }));

  save(fx, "bye.lua", saying("bye v2"));
  // New events are routed to the new version once the reload is through.
  std::optional<weft::store::ExecutionSummary> after;
  REQUIRE(eventually([&] {
    const auto routed = route(fx, "greet", R"({"wait": false})");
    if (routed.version != before.version) after = routed;
    return after.has_value();
  }));
  const auto fresh = fx.finished(after->id);
  CHECK(fresh.summary.status == "completed");
  CHECK(fresh.output.at("said").as_string() == "bye v2");
  CHECK(step_of(fresh, "approval").state.status == "skipped");
  // The waiting execution is live on the old version (events emitted while polling may be too).
  const std::string reported = "reload: changed workflow greet: version " + before.version + " -> " +
                               after->version + "; version " + before.version + " still has ";
  REQUIRE(logged(*host, reported));
  const auto log = host->log();
  CHECK(std::stoi(log.substr(log.find(reported) + reported.size())) >= 1);

  // `weft list` shows which version each execution runs.
  const auto listed = fx.weft({"list", "--workflow", "greet"});
  REQUIRE(listed.exit_code == 0);
  CHECK(line_of(listed.out, before.id).find(" " + before.version + " ") != std::string::npos);
  CHECK(line_of(listed.out, after->id).find(" " + after->version + " ") != std::string::npos);

  // A restarted host says which older versions still have live executions.
  REQUIRE(host->stop() == 0);
  host = fx.serve({"--watch"});
  const std::string older = "workflow greet: older versions with live executions: " + before.version + ": ";
  REQUIRE(logged(*host, older));
  CHECK(std::stoi(host->log().substr(host->log().find(older) + older.size())) >= 1);

  // The execution started before the edit runs its remaining step with the script it pinned.
  REQUIRE(fx.weft({"signal", before.id, "go"}).exit_code == 0);
  const auto old = fx.finished(before.id);
  CHECK(old.summary.status == "completed");
  CHECK(old.summary.version == before.version);
  CHECK(step_of(old, "bye").state.output.at("said").as_string() == "bye v1");

  // A YAML edit is a new version as well.
  std::string yaml = kGreet;
  yaml.replace(yaml.find("{ id: bye, lua: bye.lua }"), 25, "{ id: bye, lua: bye.lua, input: { n: 3 } }");
  save(fx, "greet.yaml", yaml);
  REQUIRE(eventually([&] {
    const auto routed = route(fx, "greet", R"({"wait": false})");
    if (routed.version == after->version) return false;
    CHECK(step_of(fx.finished(routed.id), "bye").state.input.at("n").as_int64() == 3);
    return true;
  }));
  CHECK(host->stop() == 0);
}

TEST_CASE("an invalid edit is logged and the previous version keeps serving", "[reload][pg]") {
  HostFixture fx;
  auto host = serve_greet(fx);
  const auto first = route(fx, "greet", "{}");
  CHECK(fx.finished(first.id).output.at("said").as_string() == "bye v1");
  const auto greet_yaml = fs::path(fx.workflows()) / "greet.yaml";

  // A bad YAML key: reported as file:line:col, the workflow keeps its version.
  save(fx, "greet.yaml", broken_greet());
  REQUIRE(logged(*host, "workflow greet has errors; its version " + first.version + " keeps serving"));
  CHECK(logged(*host, "reload: " + greet_yaml.string() + ":8:"));
  auto served = route(fx, "greet", "{}");
  CHECK(served.version == first.version);
  CHECK(fx.finished(served.id).output.at("said").as_string() == "bye v1");

  // Back to the file as it was: no errors, and the same version.
  save(fx, "greet.yaml", kGreet);
  REQUIRE(logged(*host, "reload: workflow greet has no errors any more; its version is unchanged"));

  // A script that does not compile: the same as a bad key.
  save(fx, "bye.lua", "return function(ctx, input) return {\n");
  REQUIRE(logged(*host, (fs::path(fx.workflows()) / "bye.lua").string() + ":"));
  std::this_thread::sleep_for(500ms);  // let the reload settle: nothing may change
  served = route(fx, "greet", "{}");
  CHECK(served.version == first.version);
  CHECK(fx.finished(served.id).output.at("said").as_string() == "bye v1");

  // Fixed: the next version serves; the errors changed nothing on the way.
  save(fx, "bye.lua", saying("bye fixed"));
  REQUIRE(logged(*host, "reload: changed workflow greet: version " + first.version + " -> "));
  served = route(fx, "greet", "{}");
  CHECK(served.version != first.version);
  CHECK(fx.finished(served.id).output.at("said").as_string() == "bye fixed");
}

TEST_CASE("an added workflow starts serving, a removed one stops while its executions finish", "[reload][pg]") {
  HostFixture fx;
  auto host = serve_greet(fx);

  // A new folder with a workflow and its script appears.
  fx.script("late/step.lua", saying("late v1"));
  fx.workflow("late/late.yaml", R"(id: late
on: [ { type: late } ]
steps:
  - { id: approval, wait: { signal: go, timeout: 1h } }
  - { id: done, lua: step.lua }
)");
  REQUIRE(logged(*host, "reload: added workflow late"));
  const auto waiting = route(fx, "late", "{}");
  REQUIRE(eventually([&] { return parked(fx, waiting.id); }));

  fs::remove_all(fs::path(fx.workflows()) / "late");
  REQUIRE(logged(*host, "reload: removed workflow late (version " + waiting.version +
                            "): it starts nothing new; 1 live execution(s) finish on it"));
  const auto ignored = fx.weft({"emit", "--type", "late", "--data", "{}"});
  REQUIRE(ignored.exit_code == 0);
  std::this_thread::sleep_for(800ms);
  CHECK(fx.store().executions_of_trace(trace_of_emit(ignored.out)).empty());

  REQUIRE(fx.weft({"signal", waiting.id, "go"}).exit_code == 0);
  const auto finished = fx.finished(waiting.id);
  CHECK(finished.summary.status == "completed");
  CHECK(finished.output.at("said").as_string() == "late v1");
  // The other workflow was never affected.
  CHECK(fx.finished(route(fx, "greet", "{}").id).summary.status == "completed");
}

TEST_CASE("the workflows folder moved away and back: the host keeps serving throughout", "[reload][pg]") {
  HostFixture fx;
  auto host = serve_greet(fx);
  const auto first = route(fx, "greet", "{}");
  const fs::path folder = fx.workflows();
  const fs::path aside = fx.dir().path() / "aside";

  fs::rename(folder, aside);
  REQUIRE(logged(*host, "watch: " + folder.string() + " was moved away"));
  REQUIRE(logged(*host, "reload: " + folder.string() + " is missing; the 1 workflow(s) serving now keep serving"));
  CHECK(fx.finished(route(fx, "greet", "{}").id).output.at("said").as_string() == "bye v1");

  fs::rename(aside, folder);
  REQUIRE(logged(*host, "watch: " + folder.string() + " is there (again)"));
  save(fx, "bye.lua", saying("bye back"));
  REQUIRE(eventually([&] {
    const auto routed = route(fx, "greet", "{}");
    return routed.version != first.version &&
           fx.finished(routed.id).output.at("said").as_string() == "bye back";
  }));
}

TEST_CASE("an edited example workflow serves within a few seconds (latency is printed)", "[reload][pg]") {
  HostFixture fx;
  const fs::path workflows = fx.dir().path() / "examples";
  fs::copy(fs::path(WEFT_SOURCE_DIR) / "workflows", workflows, fs::copy_options::recursive);
  auto host = std::make_unique<HostProcess>(
      std::vector<std::string>{"serve", "--workflows", workflows.string(), "--db", fx.url(), "--watch"},
      fx.dir().path() / "examples-host.log");
  REQUIRE(logged(*host, "watching " + workflows.string() + " for changes"));
  const auto setup = fx.weft({"start", "shop-setup", "--workflows", workflows.string()});
  REQUIRE(setup.exit_code == 0);
  REQUIRE(fx.finished(setup.out.substr(0, 36)).summary.status == "completed");

  int orders = 0;
  const auto order = [&] {
    const auto data = R"({"action":"create","module":"orders","sku":"SKU-1","qty":1,"order_id":"o-)" +
                      std::to_string(++orders) + "\"}";
    return route(fx, "crud", data);
  };
  REQUIRE(order().version == "1");

  const auto file = workflows / "order-fulfilment" / "workflow.yaml";
  std::string yaml;
  {
    std::ifstream in(file);
    yaml.assign(std::istreambuf_iterator<char>(in), {});
  }
  yaml.replace(yaml.find("version: 1"), 10, "version: 2");
  const auto temporary = file.parent_path() / ".workflow.yaml.swp";
  std::ofstream(temporary) << yaml;

  const auto edited = std::chrono::steady_clock::now();
  fs::rename(temporary, file);
  REQUIRE(logged(*host, "reload: changed workflow order-fulfilment: version 1 ["));
  const auto reloaded = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> served;
  REQUIRE(eventually([&] {
    if (order().version != "2") return false;
    served = std::chrono::steady_clock::now();
    return true;
  }, 10s));
  const auto ms = [&](auto until) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(until - edited).count();
  };
  // A generous bound against a loaded machine; the measured value is what to look at.
  CHECK(ms(*served) < 5000);
  WARN("edit -> reload logged: " << ms(reloaded) << " ms; edit -> an event routed to the new version: "
                                 << ms(*served) << " ms (includes one `weft emit` process per try)");
}

TEST_CASE("weft start, from any directory, starts the version the host serves, also after a reload",
          "[reload][pg]") {
  HostFixture fx;
  auto host = serve_greet(fx);
  // A newer version stored from another folder (`weft start --workflows`): newest, but served by no host.
  const weft::test::TempDir other;
  const auto store_elsewhere = [&](const std::string& text) {
    other.write("greet.yaml", kGreet);
    other.write("hello.lua", saying(text));
    other.write("bye.lua", saying(text));
    REQUIRE(fx.weft({"start", "greet", "--workflows", other.path().string()}).exit_code == 0);
  };
  store_elsewhere("elsewhere 1");
  const auto served_hash = [&] {
    const auto loaded = weft::definitions::load_file(fs::path(fx.workflows()) / "greet.yaml");
    REQUIRE(loaded.definition);
    return loaded.definition->content_hash;
  };
  const weft::test::TempDir elsewhere;  // no workflows folder here
  const weft::test::InDirectory in(elsewhere.path());
  const auto start = [&] {
    const auto started = fx.weft({"start", "greet", "--input", R"({"wait": false})"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    CHECK(started.err.find("no running host") == std::string::npos);
    return fx.finished(started.out.substr(0, 36));
  };
  const auto first = start();
  CHECK(first.content_hash == served_hash());
  CHECK(first.output.at("said").as_string() == "bye v1");

  save(fx, "bye.lua", saying("bye v2"));
  REQUIRE(logged(*host, "reload: changed workflow greet: version "));
  store_elsewhere("elsewhere 2");
  const auto second = start();
  CHECK(second.content_hash == served_hash());
  CHECK(second.content_hash != first.content_hash);
  CHECK(second.output.at("said").as_string() == "bye v2");
}

TEST_CASE("at start, a workflow whose file is invalid serves its last valid version, one never stored does not serve",
          "[reload][pg]") {
  HostFixture fx;
  write_greet(fx);
  fx.workflow("other.yaml", "id: other\non: [ { type: other } ]\nsteps: [ { id: only, lua: bye.lua } ]\n");
  fx.workflow("plain.yaml", "id: plain\non: [ { type: plain } ]\nsteps: [ { id: only, lua: hello.lua } ]\n");
  const auto greet_yaml = (fs::path(fx.workflows()) / "greet.yaml").string();
  const auto last_valid = weft::definitions::load_file(greet_yaml).definition;
  REQUIRE(last_valid);
  {
    auto first = fx.serve();  // stores every version it serves
    REQUIRE(logged(*first, "serving 3 workflow(s)"));
    REQUIRE(first->stop() == 0);
  }

  // greet: a bad key (its id is readable); other: not YAML (known by its file's stored path);
  // fresh: never valid. The scripts on disk change too: a stored version brings its own.
  save(fx, "greet.yaml", broken_greet());
  save(fx, "other.yaml", "id: other\non: [ { type: other }\n");
  save(fx, "bye.lua", saying("bye v2"));
  fx.workflow("fresh.yaml", "id: fresh\non: [ { type: fresh } ]\nsteps: [ { id: only, lua: nowhere.lua } ]\n");
  const auto other_yaml = (fs::path(fx.workflows()) / "other.yaml").string();
  const auto fresh_yaml = (fs::path(fx.workflows()) / "fresh.yaml").string();

  auto host = fx.serve({"--watch"});
  REQUIRE(logged(*host, "watching " + fx.workflows() + " for changes"));
  CHECK(logged(*host, greet_yaml + ":8:"));  // every error is logged as file:line:col
  CHECK(logged(*host, fresh_yaml + ":3:"));
  CHECK(logged(*host, "workflow greet has errors (" + greet_yaml + "); its last valid version " +
                          last_valid->version + " serves, from the database"));
  CHECK(logged(*host, "workflow other has errors (" + other_yaml + "); its last valid version "));
  CHECK(logged(*host, "workflow fresh has errors (" + fresh_yaml + ") and no earlier version is stored; it is not served"));
  CHECK(logged(*host, "serving 3 workflow(s)"));

  // greet's events run on the last valid version, with its own scripts.
  const auto greeted = route(fx, "greet", R"({"wait": false})");
  CHECK(greeted.version == last_valid->version);
  CHECK(fx.finished(greeted.id).output.at("said").as_string() == "bye v1");
  CHECK(fx.finished(route(fx, "other", "{}").id).output.at("said").as_string() == "bye v1");
  CHECK(fx.finished(route(fx, "plain", "{}").id).summary.status == "completed");
  const auto ignored = fx.weft({"emit", "--type", "fresh", "--data", "{}"});
  REQUIRE(ignored.exit_code == 0);
  std::this_thread::sleep_for(800ms);
  CHECK(fx.store().executions_of_trace(trace_of_emit(ignored.out)).empty());

  // `weft start` starts what the host serves.
  const auto started = fx.weft({"start", "greet", "--input", R"({"wait": false})"});
  REQUIRE(started.exit_code == 0);
  CHECK(fx.finished(started.out.substr(0, 36)).content_hash == last_valid->content_hash);

  // Reloads go on from there: the fixed file is a new version of a serving workflow.
  save(fx, "greet.yaml", kGreet);
  REQUIRE(logged(*host, "reload: changed workflow greet: version " + last_valid->version + " -> "));
  const auto fixed = route(fx, "greet", R"({"wait": false})");
  CHECK(fixed.version != last_valid->version);
  CHECK(fx.finished(fixed.id).output.at("said").as_string() == "bye v2");
  CHECK(host->stop() == 0);
}

TEST_CASE("serve --strict, or strict: true in the config file, refuses to start when a file has errors",
          "[reload][pg]") {
  HostFixture fx;
  write_greet(fx);
  fx.start("greet", R"({"wait": false})");  // a valid version is stored: without --strict it would serve
  save(fx, "greet.yaml", broken_greet());
  const auto greet_yaml = (fs::path(fx.workflows()) / "greet.yaml").string();
  const auto config = fx.dir().write("weft.yaml", "strict: true\n").string();

  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--strict"},
                                                std::vector<std::string>{"--config", config}}) {
    // Bounded: a host that served instead would run until stopped.
    auto host = fx.serve(extra);
    REQUIRE(eventually([&] { return !host->running(); }, 15s));
    CHECK(host->log().find(greet_yaml + ":8:") != std::string::npos);
    std::vector<std::string> args{"serve", "--workflows", fx.workflows()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto refused = fx.weft(args);
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.find(greet_yaml + ":8:") != std::string::npos);
    CHECK(refused.err.find("1 error(s) in " + fx.workflows()) != std::string::npos);
  }
}
