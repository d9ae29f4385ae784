#include "routing/router.hpp"
#include "routing_fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace routing_fixtures;
using weft::StepError;
using weft::StepOutcome;
using weft::routing::Event;
using weft::routing::Match;
using weft::routing::Router;

namespace {

/// For triggers without `if:`: a call means the router consulted a condition it had no reason to.
StepOutcome no_condition_expected(std::string_view chunk, const Event&, weft::lua::Deadline) {
  FAIL("unexpected condition evaluation: " << chunk);
  return StepOutcome::success(false);
}

std::vector<std::string> ids_of(const std::vector<Match>& matches) {
  std::vector<std::string> ids;
  for (const auto& match : matches) ids.push_back(match.definition->id);
  return ids;
}

std::vector<std::string> route(const Router& router, std::string_view event_json) {
  return ids_of(router.match(event(event_json), no_condition_expected));
}

/// Decides conditions written as `true`, `false`, `1` (a number) or anything else (an error).
struct ScriptedConditions {
  std::vector<std::string> seen;
  StepOutcome operator()(std::string_view chunk, const Event& event, weft::lua::Deadline deadline) {
    CHECK(deadline > std::chrono::steady_clock::now());
    CHECK(deadline <= std::chrono::steady_clock::now() + weft::routing::kConditionBudget);
    CHECK(event.type == "crud");
    seen.emplace_back(chunk);
    if (chunk == "return (true\n)") return StepOutcome::success(true);
    if (chunk == "return (false\n)") return StepOutcome::success(false);
    if (chunk == "return (1\n)") return StepOutcome::success(1);
    return StepOutcome::failure(StepError{"expression", "attempt to call a nil value", false, nullptr});
  }
};

}  // namespace

TEST_CASE("every workflow whose trigger matches, once each, ordered by id", "[routing][router]") {
  const Router router({
      workflow("zeta", {on({"crud"})}),
      workflow("alpha", {on({"other"}), on({"crud"}), on({"c*"})}),
      workflow("mid", {on({"cr*"}, {"orders-ui"})}),
      workflow("billing-only", {on({"crud"}, {"billing"})}),
      workflow("manual", {}),  // no `on:`: started by API only
  });
  const auto matches = router.match(event(R"({"type":"crud","source":"orders-ui","data":{}})"),
                                    no_condition_expected);
  REQUIRE(ids_of(matches) == std::vector<std::string>{"alpha", "mid", "zeta"});
  CHECK(matches[0].trigger_index == 1);  // alpha's first matching trigger
  CHECK(matches[1].trigger_index == 0);
  CHECK(matches[2].trigger_index == 0);
  CHECK(route(router, R"({"type":"nothing","data":{}})").empty());
  CHECK(route(router, R"({"type":"crud","source":"billing","data":{}})") ==
        std::vector<std::string>{"alpha", "billing-only", "zeta"});

  std::vector<std::string> sorted;
  for (const auto& definition : router.definitions()) sorted.push_back(definition->id);
  CHECK(sorted == std::vector<std::string>{"alpha", "billing-only", "manual", "mid", "zeta"});
  CHECK(router.problems().empty());
}

TEST_CASE("definitions without on: never match, whatever the event", "[routing][router]") {
  const Router router({workflow("manual", {}), nullptr});
  CHECK(router.definitions().size() == 1);
  CHECK(route(router, R"({"type":"crud","data":{}})").empty());
  CHECK(route(router, R"({"type":"x","data":null})").empty());
  const Router empty({});
  CHECK(route(empty, R"({"type":"crud","data":{}})").empty());
}

TEST_CASE("a trigger without a type accepts every type", "[routing][router]") {
  const Router router({workflow("audit", {on({}, {"orders-*"})}), workflow("crud", {on({"crud"})})});
  CHECK(route(router, R"({"type":"anything","source":"orders-ui","data":{}})") ==
        std::vector<std::string>{"audit"});
  CHECK(route(router, R"({"type":"crud","source":"orders-ui","data":{}})") ==
        std::vector<std::string>{"audit", "crud"});
  CHECK(route(router, R"({"type":"crud","source":"billing","data":{}})") ==
        std::vector<std::string>{"crud"});
}

TEST_CASE("list types are indexed under each entry, mixed with globs", "[routing][router]") {
  const Router router({
      workflow("list", {on({"a", "b", "a"})}),
      workflow("mixed", {on({"c", "orders.*"})}),
  });
  CHECK(route(router, R"({"type":"a","data":{}})") == std::vector<std::string>{"list"});
  CHECK(route(router, R"({"type":"b","data":{}})") == std::vector<std::string>{"list"});
  CHECK(route(router, R"({"type":"c","data":{}})") == std::vector<std::string>{"mixed"});
  CHECK(route(router, R"({"type":"orders.created","data":{}})") == std::vector<std::string>{"mixed"});
  CHECK(route(router, R"({"type":"d","data":{}})").empty());
}

TEST_CASE("where clauses filter inside the router", "[routing][router]") {
  const Router router({
      workflow("big", {with_where(on({"crud"}), "data.qty", WhereOp::Gt, 10)}),
      workflow("small", {with_where(on({"crud"}), "data.qty", WhereOp::Lte, 10)}),
      workflow("flagged", {with_where(on({"crud"}), "data.flag", WhereOp::Exists, true)}),
  });
  CHECK(route(router, R"({"type":"crud","data":{"qty":50}})") == std::vector<std::string>{"big"});
  CHECK(route(router, R"({"type":"crud","data":{"qty":5,"flag":1}})") ==
        std::vector<std::string>{"flagged", "small"});
  CHECK(route(router, R"({"type":"crud","data":{"qty":"5"}})").empty());
}

TEST_CASE("hundreds of definitions: each event finds exactly its own", "[routing][router]") {
  constexpr int kCount = 300;
  constexpr int kTypes = 100;
  std::vector<weft::definitions::DefinitionPtr> definitions;
  for (int i = 0; i < kCount; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "wf-%03d", i);
    std::vector<Trigger> triggers;
    if (i % 50 == 49) {
      triggers.push_back(on({"type-1*"}));  // a glob: type-1, type-10..type-19
    } else {
      triggers.push_back(on({"type-" + std::to_string(i % kTypes)}));
    }
    if (i % 7 == 0) triggers.push_back(on({"shared", "also-" + std::to_string(i)}));
    definitions.push_back(workflow(id, std::move(triggers)));
  }
  const Router router(std::move(definitions));

  for (int type = 0; type < kTypes; ++type) {
    const std::string type_name = "type-" + std::to_string(type);
    std::vector<std::string> expected;
    for (int i = 0; i < kCount; ++i) {
      const bool glob = i % 50 == 49;
      const bool hit = glob ? type_name.rfind("type-1", 0) == 0 : i % kTypes == type;
      if (!hit) continue;
      char id[16];
      std::snprintf(id, sizeof id, "wf-%03d", i);
      expected.emplace_back(id);
    }
    INFO(type_name);
    CHECK(route(router, R"({"type":")" + type_name + R"(","data":{}})") == expected);
  }

  const auto shared = router.match(event(R"({"type":"shared","data":{}})"), no_condition_expected);
  CHECK(shared.size() == (kCount + 6) / 7);
  for (const auto& match : shared) CHECK(match.trigger_index == 1);
  CHECK(route(router, R"({"type":"also-14","data":{}})") == std::vector<std::string>{"wf-014"});
  CHECK(route(router, R"({"type":"also-15","data":{}})").empty());
  CHECK(route(router, R"({"type":"type-100","data":{}})") ==
        std::vector<std::string>{"wf-049", "wf-099", "wf-149", "wf-199", "wf-249", "wf-299"});
}

TEST_CASE("if: conditions decide after type, source and where", "[routing][router]") {
  const Router router({
      workflow("yes", {with_if(on({"crud"}), "true")}),
      workflow("no", {with_if(on({"crud"}), "false")}),
      workflow("second", {with_if(on({"crud"}), "false"), with_if(on({"crud"}), "true")}),
      workflow("broken", {with_if(on({"crud"}), "nope()")}),
      workflow("number", {with_if(on({"crud"}), "1")}),
      workflow("filtered", {with_if(with_where(on({"crud"}), "data.qty", WhereOp::Gt, 5), "nope()")}),
  });
  ScriptedConditions conditions;
  std::vector<std::string> problems;
  auto prebuilt = on({"crud"});  // as the loader builds it: `chunk` is what runs
  prebuilt.condition = weft::definitions::Expression{.code = "nope()", .chunk = "return (true\n)", .location = {}};
  const Router with_chunk({workflow("prebuilt", {prebuilt})});
  CHECK(ids_of(with_chunk.match(event(R"({"type":"crud","data":{}})"), std::ref(conditions))) ==
        std::vector<std::string>{"prebuilt"});
  conditions.seen.clear();

  const auto matches = router.match(event(R"({"type":"crud","id":"evt-9","data":{"qty":1}})"),
                                    std::ref(conditions), &problems);
  REQUIRE(ids_of(matches) == std::vector<std::string>{"second", "yes"});
  CHECK(matches[0].trigger_index == 1);
  CHECK(conditions.seen.size() == 6);  // "filtered" never reached its condition
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] ==
        "wf.yaml:4:9: workflow \"broken\" on[0]: `if:` condition failed: attempt to call a nil value "
        "(event evt-9)");
  CHECK(problems[1] == "wf.yaml:4:9: workflow \"number\" on[0]: `if:` condition gave a number, not a boolean (event evt-9)");

  // Without a problems list the outcome is the same.
  ScriptedConditions quiet;
  CHECK(ids_of(router.match(event(R"({"type":"crud","data":{"qty":1}})"), std::ref(quiet))) ==
        std::vector<std::string>{"second", "yes"});
}

TEST_CASE("a condition evaluator that throws is a non-match, not an escape", "[routing][router]") {
  const Router router({workflow("a", {with_if(on({"crud"}), "x")}), workflow("b", {on({"crud"})})});
  std::vector<std::string> problems;
  const auto matches = router.match(
      event(R"({"type":"crud","id":"e","data":{}})"),
      [](std::string_view, const Event&, weft::lua::Deadline) -> StepOutcome {
        throw std::runtime_error("boom");
      },
      &problems);
  CHECK(ids_of(matches) == std::vector<std::string>{"b"});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "wf.yaml:4:9: workflow \"a\" on[0]: `if:` condition failed: boom (event e)");
}

TEST_CASE("triggers that can never match are reported when the router is built", "[routing][router]") {
  auto trigger = with_where(on({"crud"}), "data.sku", WhereOp::Matches, "(");
  trigger.location = {"flows/bad.yaml", 3, 5};
  const Router router({workflow("bad", {on({"other"}), trigger})});
  REQUIRE(router.problems().size() == 1);
  CHECK(router.problems()[0].rfind("flows/bad.yaml:3:5: workflow \"bad\" on[1]: where \"data.sku\" matches:", 0) ==
        0);
  CHECK(route(router, R"({"type":"crud","data":{"sku":"("}})").empty());
}
