#include "plugins/plugin_host.hpp"

#include "plugins/action_runner.hpp"
#include "plugins/loaded_plugin.hpp"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace weft::plugins {
namespace {

std::filesystem::path key_of(const std::filesystem::path& file) {
  std::error_code ec;
  auto absolute = std::filesystem::weakly_canonical(file, ec);
  return ec ? std::filesystem::absolute(file).lexically_normal() : absolute;
}

/// Why `plugin.action` cannot run (`loaded` is the plugin named `plugin`, or null), or nullopt.
std::optional<std::string> missing(const LoadedPlugin* loaded, const std::string& plugin, const std::string& action) {
  if (loaded == nullptr) return "no loaded plugin is named '" + plugin + "'";
  if (loaded->has_action(action)) return std::nullopt;
  return "plugin " + plugin + " " + loaded->info().version + " has no action '" + action + "' (it has: " +
         fmt::format("{}", fmt::join(loaded->info().actions, ", ")) + ")";
}

}  // namespace

class PluginHost::Impl {
 public:
  explicit Impl(Json configs) : configs_(std::move(configs)) {}

  std::optional<std::string> load(const std::filesystem::path& file) {
    // One load at a time, so the name checks below see a settled registry.
    std::lock_guard loading(load_mutex_);
    const auto key = key_of(file);
    std::string error;
    auto plugin = LoadedPlugin::open(file, error);
    if (!plugin) return refuse(file, error);
    const auto& name = plugin->info().name;
    {
      std::lock_guard lock(mutex_);
      const auto existing = by_name_.find(name);
      if (existing != by_name_.end() && key_of(existing->second->info().file) != key) {
        return refuse(file, "a plugin named '" + name + "' is already loaded from " +
                                existing->second->info().file.string());
      }
    }
    if (auto problem = plugin->initialize(config_of(name))) return refuse(file, *problem);
    std::shared_ptr<const LoadedPlugin> replaced;
    {
      std::lock_guard lock(mutex_);
      // A file that now holds another plugin stops serving the old one.
      if (const auto old = by_file_.find(key); old != by_file_.end() && old->second != name) {
        replaced = by_name_[old->second];
        by_name_.erase(old->second);
      }
      auto& slot = by_name_[name];
      if (slot) replaced = slot;
      slot = plugin;
      by_file_[key] = name;
    }
    const auto& info = plugin->info();
    if (replaced) {
      spdlog::info("replaced plugin {} {} with {} from {} (actions: {}); calls in flight finish on {}",
                   replaced->info().name, replaced->info().version, info.version, file.string(),
                   fmt::join(info.actions, ", "), replaced->info().version);
    } else {
      spdlog::info("loaded plugin {} {} from {} (actions: {}; SDK {})", info.name, info.version, file.string(),
                   fmt::join(info.actions, ", "), info.sdk_version);
    }
    return std::nullopt;  // `replaced` unloads here, or when its last call returns
  }

  bool remove(const std::filesystem::path& file) {
    std::lock_guard loading(load_mutex_);
    std::shared_ptr<const LoadedPlugin> removed;
    {
      std::lock_guard lock(mutex_);
      const auto found = by_file_.find(key_of(file));
      if (found == by_file_.end()) return false;
      removed = by_name_[found->second];
      by_name_.erase(found->second);
      by_file_.erase(found);
    }
    spdlog::info("removed plugin {} {} ({}); it unloads when its calls in flight return", removed->info().name,
                 removed->info().version, file.string());
    return true;
  }

  std::shared_ptr<const LoadedPlugin> find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : found->second;
  }

  std::vector<PluginInfo> plugins() const {
    std::lock_guard lock(mutex_);
    std::vector<PluginInfo> listed;
    for (const auto& [name, plugin] : by_name_) listed.push_back(plugin->info());
    return listed;
  }

 private:
  std::optional<std::string> refuse(const std::filesystem::path& file, const std::string& reason) {
    const auto message = "plugin " + file.string() + " refused: " + reason;
    spdlog::error("{}", message);
    return message;
  }

  Json config_of(const std::string& name) const {
    if (!configs_.is_object()) return nullptr;
    const auto* config = configs_.get_object().if_contains(name);
    return config ? *config : Json(nullptr);
  }

  const Json configs_;
  std::mutex load_mutex_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> by_name_;
  std::map<std::filesystem::path, std::string> by_file_;
};

PluginHost::PluginHost(Json configs) : impl_(std::make_unique<Impl>(std::move(configs))) {}
PluginHost::~PluginHost() = default;

std::vector<std::string> PluginHost::load_directory(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  if (ec) {
    const auto message = "cannot read plugins directory " + dir.string() + ": " + ec.message();
    spdlog::error("{}", message);
    return {message};
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> refused;
  for (const auto& file : files) {
    if (auto problem = load(file)) refused.push_back(std::move(*problem));
  }
  return refused;
}

std::optional<std::string> PluginHost::load(const std::filesystem::path& file) { return impl_->load(file); }

bool PluginHost::remove(const std::filesystem::path& file) { return impl_->remove(file); }

std::optional<std::string> PluginHost::check(const std::string& plugin, const std::string& action) const {
  return missing(impl_->find(plugin).get(), plugin, action);
}

StepOutcome PluginHost::run(const ActionCall& call) const {
  // The copy keeps the library mapped until this call returns, even if it is replaced meanwhile.
  const auto plugin = impl_->find(call.plugin);
  if (auto problem = missing(plugin.get(), call.plugin, call.action)) {
    return StepOutcome::failure(
        StepError{"unknown_action", "cannot run " + call.plugin + "." + call.action + ": " + *problem, false, nullptr});
  }
  return run_action(*plugin, call);
}

std::vector<PluginInfo> PluginHost::plugins() const { return impl_->plugins(); }

}  // namespace weft::plugins
