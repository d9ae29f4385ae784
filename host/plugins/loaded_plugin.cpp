#include "plugins/loaded_plugin.hpp"

#include <weft/detail/text.hpp>
#include <weft/version.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <set>
#include <unistd.h>

namespace weft::plugins {
namespace {

std::string version_text(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

bool covers(const weft_plugin_descriptor& descriptor, std::size_t end_offset) {
  return descriptor.struct_size >= end_offset;
}

std::string_view library_family(std::string_view compiler_id) {
  const auto slash = compiler_id.rfind(" / ");
  return slash == std::string_view::npos ? compiler_id : compiler_id.substr(slash + 3);
}

/// A fresh private name per load: the library a process maps must never be the
/// file someone is overwriting, and dlopen of a name already open returns the old one.
std::filesystem::path private_copy_of(const std::filesystem::path& file) {
  static std::atomic<unsigned> counter{0};
  // Per user: another user's folder of the same name would not be writable.
  const auto folder = std::filesystem::temp_directory_path() / ("weft-plugins-" + std::to_string(::getuid()));
  std::filesystem::create_directories(folder);
  const auto name = std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" + file.filename().string();
  const auto copy = folder / name;
  std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
  return copy;
}

/// The error text a plugin wrote, as a one-line reason.
std::string reason_from(const std::string& text) {
  const auto parsed = parse_json(text);
  if (parsed && parsed->is_object()) {
    const auto& object = parsed->get_object();
    const auto* message = object.if_contains("message");
    if (message != nullptr && message->is_string()) return std::string(message->get_string());
  }
  return text.empty() ? "no reason given" : text;
}

}  // namespace

std::optional<std::string> abi_problem(const weft_plugin_descriptor& descriptor) {
  if (descriptor.magic != WEFT_ABI_MAGIC) return "it is not a weft plugin (its descriptor has the wrong magic number)";
  if (!covers(descriptor, offsetof(weft_plugin_descriptor, abi_minor) + sizeof(std::uint16_t)))
    return "its descriptor is truncated (" + std::to_string(descriptor.struct_size) + " bytes)";
  const bool sdk_known = covers(descriptor, offsetof(weft_plugin_descriptor, sdk_version) + sizeof(const char*)) &&
                         descriptor.sdk_version != nullptr;
  const std::string theirs = "ABI " + version_text(descriptor.abi_major, descriptor.abi_minor) +
                             (sdk_known ? std::string(" (SDK ") + descriptor.sdk_version + ")" : std::string());
  const std::string ours = "ABI " + version_text(WEFT_ABI_MAJOR, WEFT_ABI_MINOR) + " (SDK " WEFT_SDK_VERSION ")";
  if (descriptor.abi_major != WEFT_ABI_MAJOR || descriptor.abi_minor > WEFT_ABI_MINOR) {
    return "it was built against plugin " + theirs + " but this host supports plugin " + ours +
           "; rebuild the plugin against this host's SDK";
  }
  if (!covers(descriptor, sizeof(weft_plugin_descriptor)))
    return "its descriptor is truncated (" + std::to_string(descriptor.struct_size) + " bytes)";
  if (descriptor.plugin_name == nullptr || *descriptor.plugin_name == '\0' || descriptor.plugin_version == nullptr ||
      descriptor.init == nullptr || descriptor.run == nullptr || descriptor.shutdown == nullptr)
    return "its descriptor is incomplete (name, version or entry points missing)";
  const std::string_view compiler = descriptor.compiler_id ? descriptor.compiler_id : "unknown";
  if (library_family(compiler) != library_family(WEFT_COMPILER_ID)) {
    return "it was built with " + std::string(compiler) + " but this host uses " WEFT_COMPILER_ID
           "; the C++ libraries must match";
  }
  return std::nullopt;
}

std::shared_ptr<LoadedPlugin> LoadedPlugin::open(const std::filesystem::path& file, std::string& error) {
  std::shared_ptr<LoadedPlugin> plugin(new LoadedPlugin());
  std::filesystem::path copy;
  try {
    copy = private_copy_of(file);
    // Local binding: two plugins (or two versions of one) never resolve each other's symbols.
    plugin->library_.load(copy, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& failure) {
    error = std::string("it cannot be loaded: ") + failure.what();
  }
  std::error_code ignored;
  // The mapping stays valid; removing the copy now leaves nothing behind after a crash.
  if (!copy.empty()) std::filesystem::remove(copy, ignored);
  if (!error.empty()) return nullptr;
  if (!plugin->library_.has(WEFT_PLUGIN_ABI_SYMBOL)) {
    error = "it is not a weft plugin (no " WEFT_PLUGIN_ABI_SYMBOL " symbol; build it with weft_add_plugin)";
    return nullptr;
  }
  const auto& descriptor = plugin->library_.get<const weft_plugin_descriptor>(WEFT_PLUGIN_ABI_SYMBOL);
  if (auto problem = abi_problem(descriptor)) {
    error = std::move(*problem);
    return nullptr;
  }
  plugin->descriptor_ = &descriptor;
  plugin->info_.name = descriptor.plugin_name;
  plugin->info_.version = descriptor.plugin_version;
  plugin->info_.sdk_version = descriptor.sdk_version ? descriptor.sdk_version : "";
  plugin->info_.file = file;
  return plugin;
}

std::optional<std::string> LoadedPlugin::initialize(const Json& config) {
  const auto text = to_json_text(config);
  weft::detail::TextSink out;
  int status = WEFT_FAILED;
  try {
    status = descriptor_->init(text.data(), text.size(), out.get());
  } catch (...) {
    // The SDK catches everything inside the plugin; this is the second line.
    return "its init threw an exception past the SDK";
  }
  // Even a refused plugin may have set something up before failing: it gets its shutdown call.
  needs_shutdown_ = true;
  if (status != WEFT_OK) return "its init failed: " + reason_from(out.text());
  const auto listing = parse_json(out.text());
  const Json* actions = listing && listing->is_object() ? listing->get_object().if_contains("actions") : nullptr;
  if (actions == nullptr || !actions->is_array()) return "its init returned no list of actions";
  std::set<std::string> seen;
  for (const auto& name : actions->get_array()) {
    if (!name.is_string() || name.get_string().empty()) return "it declares an action without a name";
    const std::string action(name.get_string());
    if (!seen.insert(action).second) return "it declares the action '" + action + "' twice";
    info_.actions.push_back(action);
  }
  std::sort(info_.actions.begin(), info_.actions.end());
  serving_ = true;
  return std::nullopt;
}

bool LoadedPlugin::has_action(const std::string& name) const {
  return std::binary_search(info_.actions.begin(), info_.actions.end(), name);
}

LoadedPlugin::~LoadedPlugin() {
  if (needs_shutdown_) {
    try {
      descriptor_->shutdown();
    } catch (...) {
      spdlog::error("plugin {} {}: its shutdown hook threw past the SDK", info_.name, info_.version);
    }
  }
  // A refused plugin was already reported once, as refused.
  if (serving_) spdlog::info("unloaded plugin {} {} ({})", info_.name, info_.version, info_.file.string());
  // library_'s destructor closes the library: nothing of it may run after this.
}

}  // namespace weft::plugins
