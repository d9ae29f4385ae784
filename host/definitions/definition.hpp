// The validated, immutable model of one workflow definition.
// No I/O here: loader.hpp builds it from YAML. Everything an execution needs to
// run exactly the version it started with is inside (including script sources).
#pragma once

#include "common/diagnostic.hpp"
#include "common/duration.hpp"
#include "common/json.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace weft::definitions {

/// A `${ expr }` Lua expression as written, with where it was written.
struct Expression {
  std::string code;   // the Lua expression between `${` and `}` (or an `if:` condition), trimmed
  std::string chunk;  // `return (<code>\n)`: ready to load; the newline keeps a `--` comment from eating `)`
  SourceLocation location;
};

/// A `${ }` that is a whole value and only a path into the scope, such as
/// `${ steps.reserve.output.left }`, and where in the template's value it goes.
struct PathHole {
  /// Object keys and array indices from the top of the value to the hole.
  std::vector<std::variant<std::string, std::size_t>> at;
  std::string root;  // event, input, steps or execution
  std::string path;  // the dotted rest, e.g. "reserve.output.left" (empty: the root itself)
};

/// A template made only of such holes: the engine copies `skeleton` and fills
/// each hole from the scope's JSON, without Lua. When a path does not lead to a
/// value it evaluates `lua_chunk` instead, so results and errors stay Lua's.
struct PathTemplate {
  Json skeleton;  // the value with null where each hole goes
  std::vector<PathHole> holes;
};

/// A YAML value whose strings may contain `${ }` (step input, `key`, execution `input`).
/// It is "compiled" to one Lua chunk, `lua_chunk`, that returns the whole value:
/// a string that is exactly one `${ }` keeps the expression's type, other strings
/// interpolate with tostring. Constant templates skip Lua entirely.
struct ValueTemplate {
  std::uint64_t id = 0;        // unique in the process; lets each Lua VM cache the compiled chunk
  Json constant;               // the value itself when `is_constant`
  bool is_constant = true;
  std::string lua_chunk;       // `return <lua constructor>` (empty when constant); evaluated with
                               // event/input/steps/execution as globals and weft.null/array/_text
  std::vector<Expression> expressions;  // each `${ }` inside, for diagnostics
  std::optional<PathTemplate> paths;    // set when every `${ }` is a PathHole
  SourceLocation location;
};

/// Matches a string attribute (event type or source): exact, any of a list, or glob (`orders.*`).
struct StringMatcher {
  std::vector<std::string> patterns;  // empty = matches anything
  bool any() const { return patterns.empty(); }
};

enum class WhereOp : std::uint8_t { Eq, Ne, Gt, Gte, Lt, Lte, In, Exists, Prefix, Matches };

struct WhereCondition {
  WhereOp op = WhereOp::Eq;
  Json operand;  // a scalar; an array for In; a bool for Exists; a string for Prefix/Matches
};

/// `data.qty: { gt: 0, lte: 100 }`: every condition on the path must hold.
struct WhereClause {
  std::string path;  // dotted path into the event (`data.module`, `source`)
  std::vector<WhereCondition> conditions;
  SourceLocation location;
};

struct Trigger {
  StringMatcher type;
  StringMatcher source;
  std::vector<WhereClause> where;
  std::optional<Expression> condition;  // `if:`, a Lua boolean expression over `event`
  SourceLocation location;
};

enum class Jitter : std::uint8_t { Full, None };

struct RetryPolicy {
  int max_attempts = 3;  // including the first attempt
  Millis initial_interval{1000};
  double backoff = 2.0;
  Millis max_interval{60000};
  Jitter jitter = Jitter::Full;
  std::vector<std::string> non_retryable;  // error codes never retried
};

enum class Isolation : std::uint8_t { ReadCommitted, RepeatableRead, Serializable };

struct TransactionSpec {
  Isolation isolation = Isolation::ReadCommitted;
  std::optional<Millis> statement_timeout;
};

struct LockSpec {
  ValueTemplate key;
  Millis ttl{30000};
  Millis wait{10000};
};

struct CircuitBreakerSpec {
  double failure_rate = 0.5;
  int min_calls = 5;
  Millis window{10000};
  Millis open_for{10000};
};

enum class ActionKind : std::uint8_t { Lua, Plugin };

/// What a step or a compensation runs: a Lua script or a plugin action, with its policies.
struct Action {
  ActionKind kind = ActionKind::Lua;
  std::string script;         // Lua: path relative to the YAML file, as written
  std::string plugin;         // Plugin: plugin name
  std::string plugin_action;  // Plugin: action name
  std::optional<ValueTemplate> input;  // absent: the step's input (steps) / the undone step's (compensations)
  std::optional<TransactionSpec> transaction;
  std::optional<LockSpec> lock;
  RetryPolicy retry;
  Millis timeout{60000};
  SourceLocation location;
};

enum class StepKind : std::uint8_t { Action, Wait, Sleep };

struct WaitSpec {
  std::string signal;
  Millis timeout{0};
};

struct Step {
  std::string id;
  StepKind kind = StepKind::Action;
  Action action;  // for StepKind::Action
  WaitSpec wait;  // for StepKind::Wait
  Millis sleep{0};  // for StepKind::Sleep
  std::optional<Expression> condition;      // `if:`; false -> skipped
  std::vector<std::string> after;           // resolved dependencies (default: the previous step)
  std::optional<Action> compensate;
  std::optional<CircuitBreakerSpec> circuit_breaker;
  SourceLocation location;
};

enum class OnFailure : std::uint8_t { Compensate, Fail };

struct ConcurrencySpec {
  ValueTemplate key;  // without `key:` a constant "": one limit for the whole workflow
  int limit = 1;
};

/// Everything the definition was made from: the YAML text and every script it
/// names, keyed by the path as written. Stored with each version in the database.
struct SourceBundle {
  std::string path;  // the YAML file's path (for messages); scripts are relative to its folder
  std::string yaml;
  std::map<std::string, std::string> scripts;
};

struct Definition {
  std::string id;
  std::string version;       // the declared integer as text, else the first 12 hex digits of content_hash
  std::string content_hash;  // hex SHA-256 of the bundle (YAML + scripts); identifies the exact snapshot
  std::string description;
  std::vector<Trigger> triggers;
  std::optional<ValueTemplate> input;  // absent: event.data
  std::optional<ValueTemplate> key;
  std::optional<ConcurrencySpec> concurrency;
  std::optional<Millis> timeout;
  OnFailure on_failure = OnFailure::Compensate;
  std::vector<Step> steps;  // in file order
  SourceBundle source;       // the YAML and exactly the scripts it names
  /// Each script's name in Lua messages and tracebacks: its path beside the
  /// YAML file (`order-fulfilment/steps/reserve.lua`), worked out once here
  /// rather than on every attempt.
  std::map<std::string, std::string> chunk_names;
  SourceLocation location;   // where `id:` is written

  const Step* find_step(std::string_view step_id) const;
};

using DefinitionPtr = std::shared_ptr<const Definition>;

}  // namespace weft::definitions
