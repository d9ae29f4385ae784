// The `weft` CLI checked through its output and exit codes.
#include "host_fixture.hpp"
#include "common/ids.hpp"
#include "routing/event.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

using weft::test::HostFixture;
using weft::test::InDirectory;
using namespace std::chrono_literals;

TEST_CASE("weft validate reports every error as file:line:col and exits 2", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("good.yaml", "id: good\nsteps: [ { id: one, lua: one.lua } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
  auto ok = weft::test::run_weft({"validate", fx.workflows()});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("1 workflow(s) valid") != std::string::npos);

  fx.workflow("bad.yaml", "id: bad\nsteps:\n  - id: one\n    lua: missing.lua\n    timeout: soon\n");
  auto bad = weft::test::run_weft({"validate", fx.workflows()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.yaml:4:") != std::string::npos);  // the missing script
  CHECK(bad.err.find("bad.yaml:5:") != std::string::npos);  // the bad duration
  CHECK(bad.out.empty());
}

TEST_CASE("bad CLI input gets one clear error and the right exit code", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: w\nsteps: [ { id: one, lua: one.lua } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");

  const auto no_command = weft::test::run_weft({"frobnicate"});
  CHECK(no_command.exit_code == 2);
  CHECK(no_command.err.find("unknown command 'frobnicate'") != std::string::npos);

  const auto bad_flag = fx.weft({"list", "--colour"});
  CHECK(bad_flag.exit_code == 2);
  CHECK(bad_flag.err.find("unknown option '--colour'") != std::string::npos);

  const auto bad_data = fx.weft({"emit", "--type", "x", "--data", "{not json"});
  CHECK(bad_data.exit_code == 2);
  CHECK(bad_data.err.find("--data: invalid JSON") != std::string::npos);

  const auto bad_events = fx.weft(
      {"emit"}, "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"cli\",\"type\":\"ok\",\"data\":{}}\n{\"data\":{}}\n");
  CHECK(bad_events.exit_code == 2);
  CHECK(bad_events.err.find("stdin:2:") != std::string::npos);
  CHECK(fx.store().list_executions({}).empty());

  const auto unknown_workflow = fx.weft({"start", "nope", "--workflows", fx.workflows()});
  CHECK(unknown_workflow.exit_code == 2);
  CHECK(unknown_workflow.err.find("unknown workflow 'nope'") != std::string::npos);

  const auto bad_input = fx.weft({"start", "w", "--workflows", fx.workflows(), "--input", "[1,"});
  CHECK(bad_input.exit_code == 2);
  CHECK(bad_input.err.find("--input: invalid JSON") != std::string::npos);

  const auto unknown_execution = fx.weft({"status", "0b5b3c4e-1111-4222-8333-944455556666"});
  CHECK(unknown_execution.exit_code == 1);
  CHECK(unknown_execution.err.find("no execution with id") != std::string::npos);

  const auto not_an_id = fx.weft({"status", "hello"});
  CHECK(not_an_id.exit_code == 1);

  const auto bad_status = fx.weft({"list", "--status", "sleeping"});
  CHECK(bad_status.exit_code == 2);
  CHECK(bad_status.err.find("unknown status 'sleeping'") != std::string::npos);

  const auto bad_limit = fx.weft({"list", "--limit", "-3"});
  CHECK(bad_limit.exit_code == 2);

  // Each error is one line on stderr.
  for (const auto* result : {&bad_flag, &bad_data, &unknown_workflow, &unknown_execution}) {
    CHECK(std::count(result->err.begin(), result->err.end(), '\n') == 1);
  }
}

TEST_CASE("weft emit on stdin refuses an invalid CloudEvent with parse_event's message and stores nothing",
          "[cli][pg]") {
  HostFixture fx;
  const auto stored_events = [&] {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    return txn.exec1("SELECT count(*) FROM weft.events")[0].as<int>();
  };
  const std::string valid = R"({"specversion":"1.0","id":"e-1","source":"cli","type":"ok","data":{}})";
  for (const std::string invalid : {
           R"({"specversion":"1.0","source":"cli","type":"ok","data":{}})",                     // no id
           R"({"id":"e-2","source":"cli","type":"ok"})",                                          // no specversion
           R"({"specversion":"1.0","id":"e-2","source":"cli","type":"ok","data":1,"data_base64":"AAEC"})",
           R"({"specversion":"1.0","id":"e-2","source":"cli","type":"ok","Meta":"x"})",
           R"({"specversion":"1.0","id":"e-2","source":"cli","type":"ok","meta":{"a":1}})",
       }) {
    INFO(invalid);
    const auto expected = weft::routing::parse_event_text(invalid);
    REQUIRE_FALSE(expected.event.has_value());
    const auto emitted = fx.weft({"emit"}, valid + "\n" + invalid + "\n");
    CHECK(emitted.exit_code == 2);
    CHECK(emitted.err == "weft emit: stdin:2: " + expected.error + " (no event was stored)\n");
    CHECK(emitted.out.empty());
    CHECK(stored_events() == 0);
  }

  // The valid line alone is stored, as given.
  const auto accepted = fx.weft({"emit"}, valid + "\n");
  REQUIRE(accepted.exit_code == 0);
  CHECK(accepted.out.rfind("accepted cli/e-1 trace ", 0) == 0);
  CHECK(stored_events() == 1);
}

TEST_CASE("weft emit --type produces a complete CloudEvent", "[cli][pg]") {
  HostFixture fx;
  const auto document_of = [&](const std::string& source, const std::string& id) {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    const auto row = txn.exec_params1("SELECT document::text FROM weft.events WHERE source = $1 AND id = $2",
                                      source, id);
    return *weft::parse_json(row[0].as<std::string>());
  };

  const auto bare = fx.weft({"emit", "--type", "ping"});
  REQUIRE(bare.exit_code == 0);
  const auto printed = bare.out.substr(0, bare.out.find(" trace "));  // "accepted weft/<uuid>"
  REQUIRE(printed.rfind("accepted weft/", 0) == 0);
  const auto id = printed.substr(std::string("accepted weft/").size());
  CHECK(weft::is_uuid(id));
  const auto document = document_of("weft", id);
  CHECK(document.at("specversion").as_string() == "1.0");
  CHECK(document.at("type").as_string() == "ping");
  CHECK_FALSE(document.as_object().contains("data"));  // no --data, no data

  const auto given = fx.weft({"emit", "--type", "ping", "--id", "p-1", "--source", "/cli", "--data", "[1]"});
  REQUIRE(given.exit_code == 0);
  CHECK(document_of("/cli", "p-1").at("data") == weft::Json(weft::JsonArray{1}));

  const auto bad_id = fx.weft({"emit", "--type", "ping", "--id", ""});
  CHECK(bad_id.exit_code == 2);
  CHECK(bad_id.err == "weft emit: event attribute \"id\" must be a non-empty string of at most 256 bytes\n");
}

TEST_CASE("serve --strict refuses invalid definitions with exit code 2", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", "id: w\nsteps: [ { id: one, lua: one.lua, retry: { max_attempts: 0 } } ]\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
  const auto result = fx.weft({"serve", "--workflows", fx.workflows(), "--strict"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("w.yaml:") != std::string::npos);
}

TEST_CASE("status, list and trace show a finished execution", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("w.yaml", R"(
id: shown
on: [ { type: show } ]
steps:
  - id: one
    lua: one.lua
)");
  fx.script("one.lua", "return function(ctx, input) ctx.log.info('working', { n = 1 }) return { n = input.n } end\n");
  auto host = fx.serve();
  const auto emitted = fx.weft({"emit", "--type", "show", "--data", R"({"n":5})"});
  REQUIRE(emitted.exit_code == 0);
  const auto trace = weft::test::trace_of_emit(emitted.out);
  const auto executions = fx.executions_of_trace(trace, 1);
  REQUIRE(executions.size() == 1);
  const auto id = executions[0].id;
  fx.finished(id);

  const auto status = fx.weft({"status", id, "--json"});
  REQUIRE(status.exit_code == 0);
  const auto json = weft::parse_json(status.out);
  REQUIRE(json.has_value());
  for (const auto* key : {"id", "workflow", "version", "status", "key", "trace_id", "input", "output",
                          "error", "steps", "compensations"}) {
    INFO(key);
    CHECK(json->as_object().contains(key));
  }
  CHECK(json->at("status").as_string() == "completed");
  CHECK(json->at("output").at("n").as_int64() == 5);
  const auto& step = json->at("steps").as_array().at(0);
  for (const auto* key : {"id", "status", "attempts", "output", "error", "started_at", "finished_at"}) {
    INFO(key);
    CHECK(step.as_object().contains(key));
  }

  const auto text = fx.weft({"status", id});
  CHECK(text.out.find("completed") != std::string::npos);

  const auto list = fx.weft({"list", "--workflow", "shown", "--json"});
  REQUIRE(list.exit_code == 0);
  CHECK(weft::parse_json(list.out)->as_array().size() == 1);

  const auto timeline = fx.weft({"trace", trace});
  REQUIRE(timeline.exit_code == 0);
  for (const auto* kind : {"event.received", "execution.created", "step.attempt", "execution.finished"}) {
    INFO(kind);
    CHECK(timeline.out.find(kind) != std::string::npos);
  }
  CHECK(host->log().find("working") != std::string::npos);
  CHECK(host->log().find("trace=" + trace) != std::string::npos);
}

TEST_CASE("weft start --wait returns once the execution finished, with its status", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("ok.yaml", "id: ok\nsteps: [ { id: only, lua: ok.lua } ]\n");
  fx.workflow("bad.yaml", "id: bad\nsteps: [ { id: only, lua: bad.lua, retry: { max_attempts: 1 } } ]\n");
  fx.script("ok.lua", "return function(ctx, input) return 1 end\n");
  fx.script("bad.lua", "return function(ctx, input) weft.fail('nope', 'no') end\n");
  auto host = fx.serve();
  const auto ok = fx.weft({"start", "ok", "--workflows", fx.workflows(), "--wait"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("\ncompleted\n") != std::string::npos);
  const auto bad = fx.weft({"start", "bad", "--workflows", fx.workflows(), "--wait"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("\nfailed\n") != std::string::npos);
  CHECK(bad.err.find("ended failed") != std::string::npos);
}

TEST_CASE("weft start without --workflows starts what running hosts serve, else the newest stored version",
          "[cli][pg]") {
  HostFixture fx;
  const auto say = [&](const std::string& text) {
    fx.script("say.lua", "return function(ctx, input) return '" + text + "' end\n");
  };
  fx.workflow("greet.yaml", "id: greet\nsteps: [ { id: only, lua: say.lua } ]\n");
  say("v1");
  const auto v1 = fx.start("greet");  // stores the folder's version, then a newer one
  say("v2");
  const auto v2 = fx.start("greet");
  const auto hash_of = [&](const std::string& execution_id) {
    const auto detail = fx.store().get_execution(execution_id);
    REQUIRE(detail.has_value());
    return detail->content_hash;
  };
  REQUIRE(hash_of(v1) != hash_of(v2));

  // From a directory without a workflows folder.
  const weft::test::TempDir elsewhere;
  const InDirectory in(elsewhere.path());
  REQUIRE_FALSE(std::filesystem::exists("workflows"));
  const auto start = [&](const std::string& expected_hash, bool served) {
    const auto started = fx.weft({"start", "greet", "--input", R"({"n": 1})"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    const auto id = started.out.substr(0, 36);
    CHECK(hash_of(id) == expected_hash);
    const auto note = "no running host serves workflow 'greet'; started its newest stored version";
    CHECK((started.err.find(note) == std::string::npos) == served);
    return id;
  };
  start(hash_of(v2), false);

  // A host serving the older version: that one starts, not the newest stored.
  say("v1");
  auto host = fx.serve();
  const auto recorded = [&] {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    return txn.exec1("SELECT count(*) FROM weft.served_definitions")[0].as<int>() > 0;
  };
  REQUIRE(weft::test::eventually(recorded));
  const auto on_host = start(hash_of(v1), true);
  CHECK(fx.finished(on_host).output.as_string() == "v1");
  // An execution pinned to a version the host never loaded runs too (first claimed here).
  CHECK(fx.finished(v2).output.as_string() == "v2");
  // Stopped: back to the newest stored version, said on stderr.
  REQUIRE(host->stop() == 0);
  start(hash_of(v2), false);

  // A killed host counts until its lease runs out.
  host = fx.serve({"--lease", "1s"});
  REQUIRE(weft::test::eventually(recorded));
  start(hash_of(v1), true);
  host->kill_hard();
  std::this_thread::sleep_for(1500ms);
  start(hash_of(v2), false);
}

TEST_CASE("weft start of an unknown workflow fails with exit 1 and names similar ones", "[cli][pg]") {
  HostFixture fx;
  fx.workflow("greet.yaml", "id: greet\nsteps: [ { id: only, sleep: 1ms } ]\n");
  fx.start("greet");
  const auto unknown = fx.weft({"start", "gret"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("unknown workflow 'gret'") != std::string::npos);
  CHECK(unknown.err.find("(similar: greet)") != std::string::npos);
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  CHECK(unknown.out.empty());

  const auto nothing_alike = fx.weft({"start", "invoices"});
  CHECK(nothing_alike.exit_code == 1);
  CHECK(nothing_alike.err.find("unknown workflow 'invoices'") != std::string::npos);
  CHECK(nothing_alike.err.find("similar") == std::string::npos);
}
