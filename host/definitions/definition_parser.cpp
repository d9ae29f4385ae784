#include "definitions/definition_parser.hpp"

#include "definitions/content_hash.hpp"
#include "definitions/graph_check.hpp"
#include "definitions/policy_parser.hpp"
#include "definitions/step_parser.hpp"
#include "definitions/template_compiler.hpp"
#include "definitions/trigger_parser.hpp"
#include "definitions/yaml_reader.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>
#include <tuple>

namespace weft::definitions {
namespace {

constexpr std::size_t kVersionHashDigits = 12;

void parse_version(const Field& field, YamlReader& reader, Definition& definition) {
  const Json value = field.value.IsScalar() ? to_json(field.value) : Json(nullptr);
  if (!value.is_int64() || value.as_int64() < 1) {
    reader.error(field, "`version` must be a positive integer, not " + describe(field.value));
    return;
  }
  definition.version = std::to_string(value.as_int64());
}

void parse_steps(const Field& field, StepContext& context, Definition& definition) {
  auto& reader = context.reader;
  if (!field.value.IsSequence()) {
    reader.error(field, "`steps` must be a list of steps, not " + describe(field.value));
    return;
  }
  if (field.value.size() == 0) {
    reader.error(field, "`steps` needs at least one step");
    return;
  }
  std::vector<StepDependencies> graph;
  std::map<std::string, SourceLocation> seen;
  for (const auto& node : field.value) {
    ParsedStep parsed = parse_step(node, context);
    const auto& id = parsed.step.id;
    if (!id.empty()) {
      const auto [earlier, inserted] = seen.emplace(id, parsed.step.location);
      if (!inserted) {
        reader.error(parsed.step.location, "duplicate step id `" + id + "` (first defined at line " +
                                               std::to_string(earlier->second.line) + ")");
      }
      graph.push_back(std::move(parsed.dependencies));
    }
    definition.steps.push_back(std::move(parsed.step));
  }
  Diagnostics graph_errors;
  resolve_dependencies(graph, graph_errors);
  for (auto& error : graph_errors) reader.error(error.location, std::move(error.message));
  // `graph` holds the steps that have ids, in file order.
  std::size_t next = 0;
  for (auto& step : definition.steps) {
    if (step.id.empty()) continue;
    for (auto& dependency : graph[next].after) step.after.push_back(std::move(dependency.step_id));
    ++next;
  }
}

void parse_document(const YAML::Node& root, YamlReader& reader, ScriptCollector& scripts,
                    const LoadOptions& options, Definition& definition) {
  if (!root.IsMap()) {
    reader.error(root, "a workflow file must be a mapping at the top level (with `id`, `steps`, ...), not " +
                           describe(root));
    return;
  }
  const auto fields = reader.mapping(root, "the workflow",
                                     {"id", "version", "description", "on", "input", "key", "concurrency",
                                      "timeout", "on_failure", "defaults", "steps"});
  if (!fields) return;
  definition.location = reader.location(root);

  if (const auto* id = fields->find("id")) {
    definition.location = reader.location(*id);
    if (auto text = reader.string(*id)) {
      if (valid_workflow_id(*text)) {
        definition.id = *text;
      } else {
        reader.error(*id, "workflow id `" + printable(*text) + "` must match [a-z0-9][a-z0-9-_.]*");
      }
    }
  } else {
    reader.error(root, "the workflow needs an `id`");
  }
  if (const auto* version = fields->find("version")) parse_version(*version, reader, definition);
  if (const auto* description = fields->find("description")) {
    if (auto text = reader.string(*description)) definition.description = *text;
  }
  if (const auto* timeout = fields->find("timeout")) definition.timeout = positive_duration(*timeout, reader);
  if (const auto* on_failure = fields->find("on_failure")) {
    if (auto text = reader.string(*on_failure)) {
      if (*text == "compensate") {
        definition.on_failure = OnFailure::Compensate;
      } else if (*text == "fail") {
        definition.on_failure = OnFailure::Fail;
      } else {
        reader.error(*on_failure, "`on_failure` must be `compensate` or `fail`, not `" + printable(*text) + "`");
      }
    }
  }
  if (const auto* on = fields->find("on")) definition.triggers = parse_triggers(*on, reader);
  if (const auto* input = fields->find("input")) definition.input = compile_template(*input, reader);
  if (const auto* key = fields->find("key")) definition.key = compile_template(*key, reader);
  if (const auto* concurrency = fields->find("concurrency")) {
    parse_concurrency(*concurrency, reader, definition.concurrency);
  }

  // Defaults first, whatever the key order in the file: every step reads them.
  StepContext context{reader, scripts, options, ActionDefaults{}};
  if (const auto* defaults = fields->find("defaults")) parse_defaults(*defaults, reader, context.defaults);
  if (const auto* steps = fields->find("steps")) {
    parse_steps(*steps, context, definition);
  } else {
    reader.error(root, "the workflow needs `steps`");
  }
}

void sort_diagnostics(Diagnostics& diagnostics, const std::string& yaml_file) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::make_tuple(a.location.file != yaml_file, a.location.file, a.location.line, a.location.column) <
           std::make_tuple(b.location.file != yaml_file, b.location.file, b.location.line, b.location.column);
  });
}

}  // namespace

bool valid_workflow_id(std::string_view id) {
  const auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || !lower_or_digit(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_or_digit(c) || c == '-' || c == '_' || c == '.'; });
}

LoadResult parse_definition(const std::string& file, const std::string& yaml, const ScriptSource& scripts,
                            const LoadOptions& options) {
  LoadResult result;
  YamlReader reader(file, yaml, result.diagnostics);
  ScriptCollector collector(scripts, std::filesystem::path(file).parent_path());
  auto definition = std::make_shared<Definition>();
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(yaml);
    if (documents.empty()) {
      reader.error(SourceLocation{file, 1, 1}, "the workflow file is empty");
    } else {
      if (documents.size() > 1) {
        reader.error(documents[1], "one workflow per file: a second YAML document starts here");
      }
      parse_document(documents[0], reader, collector, options, *definition);
    }
  } catch (const YAML::Exception& error) {
    SourceLocation where{file, 0, 0};
    if (!error.mark.is_null()) where = SourceLocation{file, error.mark.line + 1, error.mark.column + 1};
    reader.error(where, "invalid YAML: " + error.msg);
  } catch (const std::exception& error) {
    reader.error(SourceLocation{file, 0, 0}, std::string("could not load the workflow: ") + error.what());
  }
  result.declared_id = definition->id;
  if (!result.diagnostics.empty()) {
    sort_diagnostics(result.diagnostics, file);
    return result;
  }
  definition->source.path = file;
  definition->source.yaml = yaml;
  definition->source.scripts = collector.scripts();
  const auto folder = std::filesystem::path(file).parent_path();
  for (const auto& [script, text] : definition->source.scripts)
    definition->chunk_names.emplace(script, (folder / script).lexically_normal().string());
  definition->content_hash = content_hash(definition->source);
  if (definition->version.empty()) definition->version = definition->content_hash.substr(0, kVersionHashDigits);
  result.definition = std::move(definition);
  return result;
}

}  // namespace weft::definitions
