// Hand-built definitions and events for the routing suites (they do not depend
// on the YAML loader).
#pragma once

#include "common/ids.hpp"
#include "definitions/definition.hpp"
#include "routing/event.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace routing_fixtures {

using weft::definitions::DefinitionPtr;
using weft::definitions::Trigger;
using weft::definitions::WhereClause;
using weft::definitions::WhereCondition;
using weft::definitions::WhereOp;

inline Trigger on(std::vector<std::string> types, std::vector<std::string> sources = {}) {
  Trigger trigger;
  trigger.type.patterns = std::move(types);
  trigger.source.patterns = std::move(sources);
  return trigger;
}

inline Trigger with_where(Trigger trigger, std::string path, WhereOp op, weft::Json operand) {
  WhereClause clause;
  clause.path = std::move(path);
  clause.conditions.push_back(WhereCondition{op, std::move(operand)});
  trigger.where.push_back(std::move(clause));
  return trigger;
}

inline Trigger with_if(Trigger trigger, std::string code) {
  // `chunk` left empty on purpose: the router builds it from `code`, as for any hand-built definition.
  trigger.condition = weft::definitions::Expression{.code = std::move(code), .chunk = {},
                                                    .location = {"wf.yaml", 4, 9}};
  return trigger;
}

inline DefinitionPtr workflow(std::string id, std::vector<Trigger> triggers) {
  auto definition = std::make_shared<weft::definitions::Definition>();
  definition->id = std::move(id);
  definition->version = std::string("1");  // not `= "1"`: GCC 12 reports a false -Wrestrict (PR 105651)
  definition->triggers = std::move(triggers);
  return definition;
}

/// Parses an event; the test fails at once if it does not parse. The routing
/// suites write only what they match on: the attributes every CloudEvent needs
/// and a test leaves out are filled here (specversion "1.0", a fresh id, source "weft").
inline weft::routing::Event event(std::string_view json_text) {
  auto document = weft::parse_json(json_text);
  REQUIRE(document.has_value());
  REQUIRE(document->is_object());
  auto& object = document->as_object();
  if (!object.contains("specversion")) object["specversion"] = "1.0";
  if (!object.contains("id")) object["id"] = weft::new_uuid();
  if (!object.contains("source")) object["source"] = "weft";
  auto result = weft::routing::parse_event(*document);
  INFO(result.error);
  REQUIRE(result.event.has_value());
  return *std::move(result.event);
}

}  // namespace routing_fixtures
