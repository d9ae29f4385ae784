#include "routing/filter.hpp"
#include "routing_fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace routing_fixtures;
using weft::Json;
using weft::routing::CompiledTrigger;

namespace {

const char* const kOrder = R"({"type":"crud","source":"orders-ui","id":"evt-1",
  "data":{"module":"orders","action":"create","qty":2,"price":9.5,"sku":"SKU-17","note":null,
          "day":"2026-11-21","tags":["a","b"],"big":18446744073709551615,"neg":-3,
          "order":{"id":"o-1"}}})";

/// Whether the single `where` condition `path op operand` holds for kOrder.
bool holds(std::string path, WhereOp op, Json operand) {
  static const auto order = event(kOrder);
  const auto trigger = with_where(on({"crud"}), std::move(path), op, std::move(operand));
  const CompiledTrigger compiled(trigger);
  CHECK(compiled.problems().empty());
  return compiled.matches(order);
}

Json parse(std::string_view text) { return *weft::parse_json(text); }

}  // namespace

TEST_CASE("glob patterns", "[routing][filter]") {
  using weft::routing::glob_match;
  CHECK(glob_match("orders.*", "orders.created"));
  CHECK(glob_match("orders.*", "orders."));
  CHECK(glob_match("orders.*", "orders.created.v2"));  // `*` crosses dots
  CHECK_FALSE(glob_match("orders.*", "orders"));
  CHECK_FALSE(glob_match("orders.*", "order.created"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("*.created", "orders.created"));
  CHECK(glob_match("a*b*c", "aXXbYYbZc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYYbZ"));
  CHECK(glob_match("v?", "v2"));
  CHECK_FALSE(glob_match("v?", "v"));
  CHECK_FALSE(glob_match("v?", "v22"));
  CHECK(glob_match("**x", "abx"));
  CHECK(glob_match("exact", "exact"));
  CHECK_FALSE(glob_match("exact", "exactly"));
  CHECK(weft::routing::is_glob("a.*"));
  CHECK(weft::routing::is_glob("a?"));
  CHECK_FALSE(weft::routing::is_glob("a.b"));
}

TEST_CASE("type and source: exact, any of a list, glob", "[routing][filter]") {
  const auto order = event(kOrder);
  auto check = [&](const Trigger& trigger) { return CompiledTrigger(trigger).matches(order); };
  CHECK(check(on({"crud"})));
  CHECK_FALSE(check(on({"cru"})));
  CHECK_FALSE(check(on({"CRUD"})));
  CHECK(check(on({"other", "crud"})));
  CHECK_FALSE(check(on({"other", "another"})));
  CHECK(check(on({"cr*"})));
  CHECK(check(on({"other", "c?ud"})));
  CHECK_FALSE(check(on({"orders.*"})));
  CHECK(check(on({})));  // no type: any type

  CHECK(check(on({"crud"}, {"orders-ui"})));
  CHECK_FALSE(check(on({"crud"}, {"billing"})));
  CHECK(check(on({"crud"}, {"billing", "orders-ui"})));
  CHECK(check(on({"crud"}, {"orders-*"})));
  CHECK_FALSE(check(on({"crud"}, {"*-api"})));
  CHECK_FALSE(check(on({"other"}, {"orders-ui"})));  // both must hold
}

TEST_CASE("where eq and ne", "[routing][filter]") {
  CHECK(holds("data.module", WhereOp::Eq, "orders"));
  CHECK_FALSE(holds("data.module", WhereOp::Eq, "billing"));
  CHECK(holds("data.qty", WhereOp::Eq, 2));
  CHECK(holds("data.qty", WhereOp::Eq, 2.0));  // numbers compare numerically
  CHECK(holds("data.qty", WhereOp::Eq, std::uint64_t{2}));
  CHECK_FALSE(holds("data.qty", WhereOp::Eq, "2"));  // no coercion between kinds
  CHECK(holds("data.price", WhereOp::Eq, 9.5));
  CHECK(holds("data.note", WhereOp::Eq, nullptr));
  CHECK(holds("data.tags", WhereOp::Eq, parse(R"(["a","b"])")));
  CHECK_FALSE(holds("data.tags", WhereOp::Eq, parse(R"(["b","a"])")));
  CHECK(holds("data.order", WhereOp::Eq, parse(R"({"id":"o-1"})")));
  CHECK(holds("data.order.id", WhereOp::Eq, "o-1"));  // nested path
  CHECK(holds("source", WhereOp::Eq, "orders-ui"));    // top-level attribute
  CHECK(holds("data.big", WhereOp::Eq, parse("18446744073709551615")));
  CHECK_FALSE(holds("data.big", WhereOp::Eq, -1));
  CHECK_FALSE(holds("data.missing", WhereOp::Eq, nullptr));  // missing is not null

  CHECK(holds("data.module", WhereOp::Ne, "billing"));
  CHECK_FALSE(holds("data.module", WhereOp::Ne, "orders"));
  CHECK_FALSE(holds("data.qty", WhereOp::Ne, 2.0));
  CHECK(holds("data.qty", WhereOp::Ne, "2"));
  CHECK(holds("data.note", WhereOp::Ne, 1));           // a present null is a value
  CHECK_FALSE(holds("data.missing", WhereOp::Ne, 1));  // a missing path fails ne
}

TEST_CASE("where gt gte lt lte", "[routing][filter]") {
  CHECK(holds("data.qty", WhereOp::Gt, 1));
  CHECK_FALSE(holds("data.qty", WhereOp::Gt, 2));
  CHECK(holds("data.qty", WhereOp::Gte, 2));
  CHECK(holds("data.qty", WhereOp::Gte, 1.5));
  CHECK_FALSE(holds("data.qty", WhereOp::Gte, 2.5));
  CHECK(holds("data.qty", WhereOp::Lt, 2.5));
  CHECK_FALSE(holds("data.qty", WhereOp::Lt, 2));
  CHECK(holds("data.qty", WhereOp::Lte, 2));
  CHECK_FALSE(holds("data.qty", WhereOp::Lte, 1));
  CHECK(holds("data.price", WhereOp::Gt, 9));
  CHECK(holds("data.neg", WhereOp::Lt, 0));
  CHECK(holds("data.neg", WhereOp::Lt, std::uint64_t{0}));    // signed vs unsigned
  CHECK(holds("data.big", WhereOp::Gt, 100));                // unsigned vs signed
  CHECK(holds("data.big", WhereOp::Gt, -100));

  CHECK(holds("data.day", WhereOp::Gte, "2026-11-01"));  // strings: lexicographic
  CHECK(holds("data.day", WhereOp::Lt, "2026-12-01"));
  CHECK_FALSE(holds("data.day", WhereOp::Gt, "2026-11-21"));
  CHECK(holds("data.sku", WhereOp::Lt, "SKU-2"));  // byte-wise, not natural order

  // Mixed kinds are never ordered.
  CHECK_FALSE(holds("data.qty", WhereOp::Gt, "1"));
  CHECK_FALSE(holds("data.qty", WhereOp::Lte, "3"));
  CHECK_FALSE(holds("data.module", WhereOp::Gt, 0));
  CHECK_FALSE(holds("data.note", WhereOp::Lt, 1));
  CHECK_FALSE(holds("data.tags", WhereOp::Gte, parse("[]")));
  // Missing paths hold for none of them.
  CHECK_FALSE(holds("data.missing", WhereOp::Gt, 0));
  CHECK_FALSE(holds("data.missing", WhereOp::Lte, 0));
}

TEST_CASE("where in", "[routing][filter]") {
  CHECK(holds("data.action", WhereOp::In, parse(R"(["create","update"])")));
  CHECK_FALSE(holds("data.action", WhereOp::In, parse(R"(["delete","update"])")));
  CHECK(holds("data.qty", WhereOp::In, parse("[1, 2.0, 3]")));
  CHECK_FALSE(holds("data.qty", WhereOp::In, parse(R"(["2"])")));
  CHECK_FALSE(holds("data.qty", WhereOp::In, parse("[]")));
  CHECK(holds("data.qty", WhereOp::In, 2));  // a scalar operand acts as eq
  CHECK_FALSE(holds("data.missing", WhereOp::In, parse("[null]")));
}

TEST_CASE("where exists", "[routing][filter]") {
  CHECK(holds("data.qty", WhereOp::Exists, true));
  CHECK_FALSE(holds("data.qty", WhereOp::Exists, false));
  CHECK(holds("data.note", WhereOp::Exists, true));  // present, even if null
  CHECK(holds("data.missing", WhereOp::Exists, false));
  CHECK_FALSE(holds("data.missing", WhereOp::Exists, true));
  CHECK(holds("data.qty.deeper", WhereOp::Exists, false));  // through a non-object
  CHECK(holds("data.tags.0", WhereOp::Exists, false));      // array elements are not addressable
}

TEST_CASE("where prefix", "[routing][filter]") {
  CHECK(holds("data.sku", WhereOp::Prefix, "SKU-"));
  CHECK(holds("data.sku", WhereOp::Prefix, ""));
  CHECK_FALSE(holds("data.sku", WhereOp::Prefix, "sku-"));
  CHECK_FALSE(holds("data.sku", WhereOp::Prefix, "SKU-17-long"));
  CHECK_FALSE(holds("data.qty", WhereOp::Prefix, "2"));  // not a string
  CHECK_FALSE(holds("data.missing", WhereOp::Prefix, ""));
}

TEST_CASE("where matches", "[routing][filter]") {
  CHECK(holds("data.sku", WhereOp::Matches, "^SKU-[0-9]+$"));
  CHECK(holds("data.sku", WhereOp::Matches, "[0-9]"));  // search, not full match
  CHECK_FALSE(holds("data.sku", WhereOp::Matches, "^SKU-[0-9]$"));
  CHECK_FALSE(holds("data.qty", WhereOp::Matches, "2"));  // not a string
  CHECK_FALSE(holds("data.missing", WhereOp::Matches, ".*"));
  CHECK(holds("data.order.id", WhereOp::Matches, "^o-\\d+$"));

  const auto long_value = event(R"({"type":"t","data":{"text":")" + std::string(20000, 'a') + "\"}}");
  const auto trigger = with_where(on({"t"}), "data.text", WhereOp::Matches, "a");
  CHECK_FALSE(CompiledTrigger(trigger).matches(long_value));  // beyond kMaxRegexSubjectLength
  const auto at_limit = event(R"({"type":"t","data":{"text":")" +
                              std::string(weft::routing::kMaxRegexSubjectLength, 'a') + "\"}}");
  CHECK(CompiledTrigger(with_where(on({"t"}), "data.text", WhereOp::Matches, "^(a|b)*$")).matches(at_limit));
}

TEST_CASE("conditions that can never hold are reported when compiled", "[routing][filter]") {
  auto trigger = with_where(on({"crud"}), "data.sku", WhereOp::Matches, "([unclosed");
  trigger.where.back().location = {"wf.yaml", 7, 7};
  const CompiledTrigger compiled(trigger);
  REQUIRE(compiled.problems().size() == 1);
  const auto message = compiled.problems()[0].to_string();
  CHECK(message.rfind("wf.yaml:7:7: where \"data.sku\" matches: `matches` pattern \"([unclosed\"", 0) == 0);
  CHECK_FALSE(compiled.matches(event(kOrder)));

  CHECK(CompiledTrigger(with_where(on({"crud"}), "data.sku", WhereOp::Matches, 5)).problems().size() == 1);
  CHECK(CompiledTrigger(with_where(on({"crud"}), "data.sku", WhereOp::Prefix, 5)).problems().size() == 1);
}

TEST_CASE("every clause and every condition must hold", "[routing][filter]") {
  const auto order = event(kOrder);
  auto trigger = with_where(on({"crud"}), "data.module", WhereOp::Eq, "orders");
  trigger = with_where(trigger, "data.action", WhereOp::In, parse(R"(["create","update"])"));
  trigger.where.push_back(WhereClause{"data.qty", {{WhereOp::Gt, 0}, {WhereOp::Lte, 100}}, {}});
  CHECK(CompiledTrigger(trigger).matches(order));

  trigger.where.back().conditions.push_back({WhereOp::Ne, 2});
  CHECK_FALSE(CompiledTrigger(trigger).matches(order));

  auto other = with_where(on({"crud"}), "data.module", WhereOp::Eq, "orders");
  other = with_where(other, "data.module", WhereOp::Eq, "billing");
  CHECK_FALSE(CompiledTrigger(other).matches(order));
}

TEST_CASE("json_equal", "[routing][filter]") {
  using weft::routing::json_equal;
  CHECK(json_equal(parse(R"({"a":[1,{"b":2.0}]})"), parse(R"({"a":[1.0,{"b":2}]})")));
  CHECK_FALSE(json_equal(parse(R"({"a":1})"), parse(R"({"a":1,"b":2})")));
  CHECK_FALSE(json_equal(parse(R"({"a":1})"), parse(R"({"b":1})")));
  CHECK_FALSE(json_equal(parse("true"), parse("1")));
  CHECK_FALSE(json_equal(parse("null"), parse("false")));
  CHECK(json_equal(parse("-0.0"), parse("0")));
}
