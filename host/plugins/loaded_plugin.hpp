// One plugin library: a private copy of the file opened with Boost.DLL, its
// ABI descriptor checked before anything else in it runs, and its init and
// shutdown hooks. Destroying it runs shutdown, then closes the library, so a
// shared_ptr to it keeps the code alive for as long as a call uses it.
#pragma once

#include "common/json.hpp"
#include "plugins/plugin_host.hpp"

#include <weft/abi.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace weft::plugins {

/// Why `descriptor` cannot be used by this host (naming both versions), or nullopt.
/// Reads only the fields the ABI promises never to move unless they are in `struct_size`.
std::optional<std::string> abi_problem(const weft_plugin_descriptor& descriptor);

class LoadedPlugin {
 public:
  /// Copies `file` to a private name, opens the copy and checks its ABI.
  /// @return the plugin, or null with `error` set. Never throws.
  static std::shared_ptr<LoadedPlugin> open(const std::filesystem::path& file, std::string& error);

  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  /// Runs the plugin's registration and init hook with `config`; lists its actions.
  /// @return why the plugin is refused (its init threw, an action declared twice), or nullopt.
  std::optional<std::string> initialize(const Json& config);

  const PluginInfo& info() const { return info_; }
  bool has_action(const std::string& name) const;
  const weft_plugin_descriptor& descriptor() const { return *descriptor_; }

 private:
  LoadedPlugin() = default;

  boost::dll::shared_library library_;
  const weft_plugin_descriptor* descriptor_ = nullptr;
  PluginInfo info_;
  bool needs_shutdown_ = false;  // init ran
  bool serving_ = false;         // init succeeded: its actions were listed
};

}  // namespace weft::plugins
