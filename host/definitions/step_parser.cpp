#include "definitions/step_parser.hpp"

#include "definitions/template_compiler.hpp"

#include <algorithm>
#include <array>
#include <exception>

namespace weft::definitions {
namespace {

constexpr std::array<std::string_view, 4> kKinds = {"lua", "plugin", "wait", "sleep"};
// Keys that only mean something for a step that runs an action.
constexpr std::array<std::string_view, 7> kActionOnly = {"input", "transaction", "lock", "retry",
                                                         "timeout", "compensate", "circuit_breaker"};

bool valid_step_id(std::string_view id) {
  const auto allowed = [](char c, bool first) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || c == '_' || (!first && (c == '-' || c == '.'));
  };
  if (id.empty()) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (!allowed(id[i], i == 0)) return false;
  }
  return true;
}

bool parse_plugin(const Field& field, StepContext& context, Action& action) {
  auto& reader = context.reader;
  const auto text = reader.string(field);
  if (!text) return false;
  const auto dot = text->find('.');
  const bool blank = text->find_first_of(" \t\r\n") != std::string::npos;
  if (dot == std::string::npos || dot == 0 || dot + 1 == text->size() || blank) {
    reader.error(field, "`plugin` must be `<plugin name>.<action name>`, not `" + printable(*text) + "`");
    return false;
  }
  action.plugin = text->substr(0, dot);
  action.plugin_action = text->substr(dot + 1);
  if (context.options.check_plugin_action) {
    std::optional<std::string> problem;
    try {
      problem = context.options.check_plugin_action(action.plugin, action.plugin_action);
    } catch (const std::exception& error) {
      problem = std::string("checking the plugin failed: ") + error.what();
    } catch (...) {
      problem = std::string("checking the plugin failed");
    }
    if (problem) {
      reader.error(field, *problem);
      return false;
    }
  }
  return true;
}

// The keys an action shares between a step and a compensation.
void parse_action_fields(const Fields& fields, StepContext& context, Action& action) {
  auto& reader = context.reader;
  action.retry = context.defaults.retry;
  action.timeout = context.defaults.timeout;
  if (const auto* lua = fields.find("lua")) {
    action.kind = ActionKind::Lua;
    if (auto path = reader.non_empty_string(*lua)) {
      action.script = *path;
      context.scripts.add(*lua, *path, reader);
    }
  } else if (const auto* plugin = fields.find("plugin")) {
    action.kind = ActionKind::Plugin;
    parse_plugin(*plugin, context, action);
  }
  if (const auto* input = fields.find("input")) action.input = compile_template(*input, reader);
  if (const auto* transaction = fields.find("transaction")) parse_transaction(*transaction, reader, action.transaction);
  if (const auto* lock = fields.find("lock")) parse_lock(*lock, reader, action.lock);
  if (const auto* retry = fields.find("retry")) parse_retry(*retry, reader, action.retry);
  if (const auto* timeout = fields.find("timeout")) {
    if (auto value = positive_duration(*timeout, reader)) action.timeout = *value;
  }
}

std::optional<Action> parse_compensation(const Field& field, StepContext& context) {
  auto& reader = context.reader;
  const auto errors = reader.error_count();
  const auto fields =
      reader.mapping(field.value, "compensate", {"lua", "plugin", "input", "transaction", "lock", "retry", "timeout"});
  if (!fields) return std::nullopt;
  const auto* lua = fields->find("lua");
  const auto* plugin = fields->find("plugin");
  if (lua == nullptr && plugin == nullptr) {
    reader.error(field, "`compensate` needs exactly one of `lua` or `plugin`");
  } else if (lua != nullptr && plugin != nullptr) {
    const Field& second = lua > plugin ? *lua : *plugin;  // both point into one vector, in file order
    reader.error(second.key, "`compensate` has both `lua` and `plugin`: use exactly one");
  }
  Action action;
  action.location = reader.location(field);
  parse_action_fields(*fields, context, action);
  if (reader.error_count() != errors) return std::nullopt;
  return action;
}

void parse_after(const Field& field, YamlReader& reader, StepDependencies& dependencies) {
  dependencies.declared = true;
  if (field.value.IsNull()) return;
  const auto names = reader.string_list(field);
  if (!names) return;
  std::vector<YAML::Node> nodes;
  if (field.value.IsSequence()) {
    for (const auto& item : field.value) nodes.push_back(item);
  } else {
    nodes.push_back(field.value);
  }
  for (std::size_t i = 0; i < names->size(); ++i) {
    const auto where = reader.location(nodes[i]);
    bool repeated = false;
    for (const auto& earlier : dependencies.after) repeated = repeated || earlier.step_id == (*names)[i];
    if (repeated) {
      reader.error(where, "`after` names `" + (*names)[i] + "` twice");
      continue;
    }
    dependencies.after.push_back(Dependency{(*names)[i], where});
  }
}

}  // namespace

ParsedStep parse_step(const YAML::Node& node, StepContext& context) {
  auto& reader = context.reader;
  const auto errors = reader.error_count();
  ParsedStep parsed;
  Step& step = parsed.step;
  step.location = reader.location(node);
  parsed.dependencies.location = step.location;
  const auto fields = reader.mapping(node, "a step",
                                     {"id", "lua", "plugin", "wait", "sleep", "input", "if", "after", "transaction",
                                      "lock", "retry", "timeout", "compensate", "circuit_breaker"});
  if (!fields) {
    parsed.valid = false;
    return parsed;
  }

  if (const auto* id = fields->find("id")) {
    if (auto text = reader.string(*id)) {
      if (valid_step_id(*text)) {
        step.id = *text;
      } else {
        reader.error(*id, "step id `" + printable(*text) + "` must be letters, digits, `_`, `-` or `.` (not first)");
      }
    }
  } else {
    reader.error(node, "a step needs an `id`");
  }
  const std::string name = step.id.empty() ? std::string("step") : "step `" + step.id + "`";
  parsed.dependencies.step_id = step.id;

  const Field* kind = nullptr;
  for (const auto& field : fields->all()) {
    if (std::find(kKinds.begin(), kKinds.end(), field.name) == kKinds.end()) continue;
    if (kind != nullptr) {
      reader.error(field.key, name + " has both `" + kind->name + "` and `" + field.name +
                                  "`: use exactly one of lua, plugin, wait, sleep");
      continue;
    }
    kind = &field;
  }
  if (kind == nullptr) {
    reader.error(node, name + " needs exactly one of `lua`, `plugin`, `wait`, `sleep`");
  } else if (kind->name == "wait" || kind->name == "sleep") {
    step.kind = kind->name == "wait" ? StepKind::Wait : StepKind::Sleep;
    for (const auto& field : fields->all()) {
      if (std::find(kActionOnly.begin(), kActionOnly.end(), field.name) != kActionOnly.end()) {
        reader.error(field.key, "`" + field.name + "` does not apply to a `" + kind->name + "` step");
      }
    }
    if (step.kind == StepKind::Wait) {
      parse_wait(*kind, reader, step.wait);
    } else if (auto value = positive_duration(*kind, reader)) {
      step.sleep = *value;
    }
  } else {
    step.kind = StepKind::Action;
    step.action.location = reader.location(*kind);
    // Only the chosen kind is read: a second one was reported above.
    Fields action_fields;
    for (const auto& field : fields->all()) {
      const bool other_kind = std::find(kKinds.begin(), kKinds.end(), field.name) != kKinds.end() && &field != kind;
      if (!other_kind) action_fields.add(field);
    }
    parse_action_fields(action_fields, context, step.action);
    if (const auto* compensate = fields->find("compensate")) step.compensate = parse_compensation(*compensate, context);
    if (const auto* breaker = fields->find("circuit_breaker")) {
      parse_circuit_breaker(*breaker, reader, step.circuit_breaker);
    }
  }

  if (const auto* condition = fields->find("if")) step.condition = compile_condition(*condition, reader);
  if (const auto* after = fields->find("after")) parse_after(*after, reader, parsed.dependencies);

  parsed.valid = reader.error_count() == errors;
  return parsed;
}

}  // namespace weft::definitions
