// `if:` conditions run in a real lua::Vm.
#include "lua/vm.hpp"
#include "routing/router.hpp"
#include "routing_fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace routing_fixtures;
using weft::routing::Match;
using weft::routing::Router;

namespace {

std::vector<std::string> ids_of(const std::vector<Match>& matches) {
  std::vector<std::string> ids;
  for (const auto& match : matches) ids.push_back(match.definition->id);
  return ids;
}

const char* const kOrder = R"({"type":"crud","source":"orders-ui","id":"evt-7",
  "data":{"module":"orders","priority":"high","qty":12}})";

}  // namespace

TEST_CASE("if: conditions see the event in Lua", "[routing][router][lua]") {
  const Router router({
      workflow("not-low", {with_if(on({"crud"}), R"(event.data.priority ~= "low")")}),
      workflow("bulk", {with_if(on({"crud"}), "event.data.qty > 10 and event.source == 'orders-ui'")}),
      workflow("small", {with_if(on({"crud"}), "event.data.qty <= 10")}),
      workflow("traced", {with_if(on({"crud"}), "#event.traceid == 32 and event.id == 'evt-7'")}),
      workflow("commented", {with_if(on({"crud"}), "true -- a trailing comment")}),
  });
  weft::lua::Vm vm;
  std::vector<std::string> problems;
  CHECK(ids_of(router.match(event(kOrder), vm, &problems)) ==
        std::vector<std::string>{"bulk", "commented", "not-low", "traced"});
  CHECK(problems.empty());

  const auto low = event(R"({"type":"crud","source":"cli","data":{"priority":"low","qty":1}})");
  CHECK(ids_of(router.match(low, vm, &problems)) == std::vector<std::string>{"commented", "small"});
  CHECK(problems.empty());
}

TEST_CASE("if: conditions that fail or are not boolean are non-matches, reported", "[routing][router][lua]") {
  const Router router({
      workflow("error", {with_if(on({"crud"}), "event.data.missing.deeper == 1")}),
      workflow("number", {with_if(on({"crud"}), "event.data.qty")}),
      workflow("nil", {with_if(on({"crud"}), "event.data.nothing")}),
      workflow("syntax", {with_if(on({"crud"}), "event.data.qty >")}),
      workflow("fine", {with_if(on({"crud"}), "event.data.qty == 12")}),
      workflow("escape", {with_if(on({"crud"}), "os.exit(1)")}),
  });
  weft::lua::Vm vm;
  std::vector<std::string> problems;
  CHECK(ids_of(router.match(event(kOrder), vm, &problems)) == std::vector<std::string>{"fine"});
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].rfind("wf.yaml:4:9: workflow \"error\" on[0]: `if:` condition failed: ", 0) == 0);
  CHECK(problems[1].rfind("wf.yaml:4:9: workflow \"escape\" on[0]: `if:` condition failed: ", 0) == 0);
  CHECK(problems[1].find("exit") != std::string::npos);  // the sandbox has no os.exit
  CHECK(problems[2] == "wf.yaml:4:9: workflow \"nil\" on[0]: `if:` condition gave nil, not a boolean (event evt-7)");
  CHECK(problems[3] ==
        "wf.yaml:4:9: workflow \"number\" on[0]: `if:` condition gave a number, not a boolean (event evt-7)");
  CHECK(problems[4].rfind("wf.yaml:4:9: workflow \"syntax\" on[0]: `if:` condition failed: ", 0) == 0);
  for (const auto& problem : problems) {
    INFO(problem);
    CHECK(problem.find('\n') == std::string::npos);  // one line each
    CHECK(problem.find("(event evt-7)") != std::string::npos);
  }
}

TEST_CASE("an if: condition that never ends is stopped by the budget", "[routing][router][lua]") {
  const Router router({
      workflow("loop", {with_if(on({"crud"}), "(function() while true do end end)()")}),
      workflow("next", {on({"crud"})}),
  });
  weft::lua::Vm vm;
  std::vector<std::string> problems;
  const auto started = std::chrono::steady_clock::now();
  CHECK(ids_of(router.match(event(kOrder), vm, &problems)) == std::vector<std::string>{"next"});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("wf.yaml:4:9: workflow \"loop\" on[0]: `if:` condition failed: ", 0) == 0);
}
