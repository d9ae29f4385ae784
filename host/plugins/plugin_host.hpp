// C++ worker plugins: loads plugin libraries, keeps a registry
// of `plugin.action` names, and runs actions. A plugin can be replaced while it
// runs: new calls use the new library, calls in flight finish on the old one,
// which is unloaded when its last call returns.
#pragma once

#include "common/json.hpp"
#include "common/step_identity.hpp"
#include "common/outcome.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weft::plugins {

/// A failed host service (a classified SQL error, a refused emit).
class ServiceError : public std::runtime_error {
 public:
  explicit ServiceError(StepError error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const StepError& error() const { return error_; }

 private:
  StepError error_;
};

/// What the host offers one action call: the step's transaction and outbox.
/// Methods throw ServiceError.
class StepServices {
 public:
  virtual ~StepServices() = default;
  /// True in `transaction:` steps; the plugin's ctx.db() works only then.
  virtual bool has_database() const = 0;
  virtual Json query(std::string_view sql, const std::vector<Json>& params) = 0;
  virtual std::int64_t exec(std::string_view sql, const std::vector<Json>& params) = 0;
  virtual void emit(std::string_view type, Json data) = 0;
};

struct ActionCall {
  std::string plugin;
  std::string action;
  StepIdentity identity;
  const Json* input = nullptr;
  StepServices* services = nullptr;  // null: ctx.db() and ctx.emit() fail
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::string sdk_version;
  std::filesystem::path file;
  std::vector<std::string> actions;
};

class PluginHost {
 public:
  /// `configs`: the host config file's `plugins:` mapping (plugin name -> settings), or null.
  explicit PluginHost(Json configs = nullptr);
  /// Unloads every plugin once its calls have returned.
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  /// Loads every `*.so` in `dir` in name order. Each refused file is logged and
  /// its message returned; the others load.
  std::vector<std::string> load_directory(const std::filesystem::path& dir);

  /// Loads `file`, or replaces the plugin `file` provided before (a reload).
  /// The file is copied first, so it may be overwritten while we read it.
  /// @return why it was refused (also logged); nullopt when loaded. Thread-safe.
  std::optional<std::string> load(const std::filesystem::path& file);
  std::optional<std::string> reload(const std::filesystem::path& file) { return load(file); }

  /// Stops serving the plugin `file` provided; calls in flight finish first.
  /// @return false when `file` provided nothing. Thread-safe.
  bool remove(const std::filesystem::path& file);

  /// nullopt when `plugin.action` is loaded, otherwise a message saying what is missing.
  std::optional<std::string> check(const std::string& plugin, const std::string& action) const;

  /// Runs the action on the calling thread. Never throws: errors are the outcome
  /// (`unknown_action` when nothing loaded serves it).
  StepOutcome run(const ActionCall& call) const;

  /// The plugins loaded now, by name.
  std::vector<PluginInfo> plugins() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::plugins
