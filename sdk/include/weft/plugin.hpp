// The C++ plugin SDK.
//
//   class Charge final : public weft::Action {
//    public:
//     weft::Json run(weft::Context& ctx, const weft::Json& input) override;
//   };
//   WEFT_PLUGIN(payments, "1.4.0") {
//     plugin.action<Charge>("charge");
//   }
//
// Everything below compiles into the plugin: it turns the C boundary of
// <weft/abi.h> into these classes and catches every exception before it could
// reach the host.
#pragma once

#include <weft/abi.h>
#include <weft/context.hpp>
#include <weft/detail/text.hpp>
#include <weft/error.hpp>
#include <weft/version.hpp>

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weft {

class Plugin;

/// One action. The host may call `run` of the same instance from several threads at once.
class Action {
 public:
  virtual ~Action() = default;
  virtual Json run(Context& ctx, const Json& input) = 0;
};

namespace detail {

struct PluginState {
  PluginState(const char* plugin_name, const char* plugin_version, void (*define_plugin)(Plugin&))
      : name(plugin_name), version(plugin_version), define(define_plugin) {}

  const char* name;
  const char* version;
  void (*define)(Plugin&);
  Json config = nullptr;
  std::vector<std::pair<std::string, std::unique_ptr<Action>>> actions;
  std::function<void(const Json&)> on_init;
  std::function<void()> on_shutdown;
};

}  // namespace detail

/// What the WEFT_PLUGIN body registers with. The body runs when the host loads the plugin.
class Plugin {
 public:
  explicit Plugin(detail::PluginState& state) : state_(state) {}

  /// Registers `name`, served by one ActionType built from `args`.
  template <typename ActionType, typename... Args>
  void action(std::string name, Args&&... args) {
    state_.actions.emplace_back(std::move(name), std::make_unique<ActionType>(std::forward<Args>(args)...));
  }
  /// Called with the plugin's config after the actions are registered; a throw refuses the plugin.
  void on_init(std::function<void(const Json& config)> hook) { state_.on_init = std::move(hook); }
  /// Called once when the host unloads the plugin, after its last call returned.
  void on_shutdown(std::function<void()> hook) { state_.on_shutdown = std::move(hook); }
  /// This plugin's settings from the host config file; null if none.
  const Json& config() const noexcept { return state_.config; }

 private:
  detail::PluginState& state_;
};

namespace detail {

inline void write_current_exception(weft_text_sink* out) noexcept {
  try {
    throw;
  } catch (const Error& error) {
    write_error(out, error.code(), error.what(), error.retryable(), error.details());
  } catch (const std::exception& error) {
    write_error(out, "error", error.what(), true);
  } catch (...) {
    write_error(out, "error", "the plugin threw an exception that is not a std::exception", true);
  }
}

inline int init(PluginState& state, const char* config, std::size_t size, weft_text_sink* out) noexcept {
  try {
    state.actions.clear();
    state.config = size == 0 ? Json(nullptr) : boost::json::parse(std::string_view(config, size));
    Plugin plugin(state);
    state.define(plugin);
    if (state.on_init) state.on_init(state.config);
    boost::json::array names;
    for (const auto& entry : state.actions) names.emplace_back(entry.first);
    write_text(out, boost::json::serialize(boost::json::object{{"actions", std::move(names)}}));
    return WEFT_OK;
  } catch (...) {
    write_current_exception(out);
    return WEFT_FAILED;
  }
}

inline int run(PluginState& state, const weft_action_call* call, weft_text_sink* out) noexcept {
  try {
    if (call == nullptr || call->struct_size < sizeof(weft_action_call) || call->host == nullptr ||
        call->host->struct_size < sizeof(weft_host_api)) {
      write_error(out, "abi", "the host passed a call this plugin does not understand", false);
      return WEFT_FAILED;
    }
    const std::string_view name(call->action, call->action_size);
    Action* action = nullptr;
    for (const auto& entry : state.actions) {
      if (entry.first == name) action = entry.second.get();
    }
    if (action == nullptr) {
      write_error(out, "unknown_action", std::string("plugin ") + state.name + " has no action '" +
                                             std::string(name) + "'", false);
      return WEFT_FAILED;
    }
    const auto context = boost::json::parse(std::string_view(call->context, call->context_size));
    const auto input = boost::json::parse(std::string_view(call->input, call->input_size));
    Context ctx(context.as_object(), call->host, state.config);
    const Json output = action->run(ctx, input);
    write_text(out, boost::json::serialize(output));
    return WEFT_OK;
  } catch (...) {
    write_current_exception(out);
    return WEFT_FAILED;
  }
}

inline void shutdown(PluginState& state) noexcept {
  try {
    if (state.on_shutdown) state.on_shutdown();
  } catch (...) {
    // Nothing to report to: the host is unloading us.
  }
  try {
    state.actions.clear();
  } catch (...) {
  }
}

}  // namespace detail
}  // namespace weft

/// Defines the plugin `plugin_name` (an identifier) at `plugin_version` (a
/// string); the braces that follow register its actions with `plugin`.
#define WEFT_PLUGIN(plugin_name, plugin_version)                                                        \
  static void weft_plugin_define_(::weft::Plugin& plugin);                                               \
  namespace {                                                                                            \
  ::weft::detail::PluginState weft_plugin_state_{#plugin_name, plugin_version, &weft_plugin_define_};    \
  int weft_plugin_init_(const char* config, std::size_t size, weft_text_sink* out) noexcept {            \
    return ::weft::detail::init(weft_plugin_state_, config, size, out);                                  \
  }                                                                                                      \
  int weft_plugin_run_(const weft_action_call* call, weft_text_sink* out) noexcept {                     \
    return ::weft::detail::run(weft_plugin_state_, call, out);                                           \
  }                                                                                                      \
  void weft_plugin_shutdown_() noexcept { ::weft::detail::shutdown(weft_plugin_state_); }                \
  }                                                                                                      \
  extern "C" __attribute__((visibility("default"), used)) const weft_plugin_descriptor weft_plugin_abi = { \
      WEFT_ABI_MAGIC,        sizeof(weft_plugin_descriptor),                                              \
      WEFT_ABI_MAJOR,        WEFT_ABI_MINOR,                                                              \
      WEFT_SDK_VERSION,      WEFT_COMPILER_ID,                                                            \
      #plugin_name,          plugin_version,                                                              \
      &weft_plugin_init_,    &weft_plugin_run_,                                                           \
      &weft_plugin_shutdown_};                                                                            \
  static void weft_plugin_define_(::weft::Plugin& plugin)
