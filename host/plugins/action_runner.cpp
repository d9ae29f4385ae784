#include "plugins/action_runner.hpp"

#include "common/log.hpp"

#include <weft/detail/text.hpp>

#include <string_view>

namespace weft::plugins {
namespace {

using weft::detail::write_error;
using weft::detail::write_text;

std::string_view view(const char* data, std::size_t size) { return data == nullptr ? std::string_view() : std::string_view(data, size); }

void write_step_error(weft_text_sink* out, const StepError& error) {
  write_error(out, error.code, error.message, error.retryable, error.details);
}

/// Runs a host service for the plugin: every exception becomes an error object.
template <typename Body>
int serve(weft_text_sink* out, Body&& body) noexcept {
  try {
    body();
    return WEFT_OK;
  } catch (const ServiceError& error) {
    write_step_error(out, error.error());
  } catch (const std::exception& error) {
    write_error(out, "error", error.what(), true);
  } catch (...) {
    write_error(out, "error", "the host failed to serve the plugin", true);
  }
  return WEFT_FAILED;
}

StepServices* services_of(void* call) { return static_cast<const ActionCall*>(call)->services; }

std::vector<Json> params_of(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed || !parsed->is_array())
    throw ServiceError(StepError{"invalid_params", "the SQL parameters must be a JSON array", false, nullptr});
  return {parsed->get_array().begin(), parsed->get_array().end()};
}

StepServices& database_of(void* call) {
  auto* services = services_of(call);
  if (services == nullptr || !services->has_database()) {
    throw ServiceError(StepError{"no_transaction", "ctx.db() is only available in steps with `transaction:`",
                                 false, nullptr});
  }
  return *services;
}

int db_query(void* call, const char* sql, std::size_t sql_size, const char* params, std::size_t params_size,
             weft_text_sink* out) {
  return serve(out, [&] {
    const auto rows = database_of(call).query(view(sql, sql_size), params_of(view(params, params_size)));
    write_text(out, to_json_text(rows));
  });
}

int db_exec(void* call, const char* sql, std::size_t sql_size, const char* params, std::size_t params_size,
            weft_text_sink* out) {
  return serve(out, [&] {
    const auto count = database_of(call).exec(view(sql, sql_size), params_of(view(params, params_size)));
    write_text(out, std::to_string(count));
  });
}

int emit(void* call, const char* type, std::size_t type_size, const char* data, std::size_t data_size,
         weft_text_sink* out) {
  return serve(out, [&] {
    auto* services = services_of(call);
    if (services == nullptr) throw ServiceError(StepError{"no_outbox", "ctx.emit is not available here", false, nullptr});
    const auto name = view(type, type_size);
    if (name.empty() || name.size() > 256)
      throw ServiceError(StepError{"invalid_event", "ctx.emit: the event type must be 1 to 256 bytes", false, nullptr});
    std::string error;
    auto value = parse_json(view(data, data_size), &error);
    if (!value) throw ServiceError(StepError{"invalid_event", "ctx.emit: the data is not JSON: " + error, false, nullptr});
    services->emit(name, std::move(*value));
  });
}

void log(void*, int level, const char* message, std::size_t message_size, const char* fields,
         std::size_t fields_size) {
  try {
    const auto parsed = parse_json(view(fields, fields_size));
    const JsonObject no_fields;
    const auto& object = parsed && parsed->is_object() ? parsed->get_object() : no_fields;
    const auto severity = level >= 2 ? spdlog::level::err : level == 1 ? spdlog::level::warn : spdlog::level::info;
    log_with_fields(severity, view(message, message_size), object);
  } catch (...) {
    // Logging never fails a step.
  }
}

StepOutcome outcome_from(int status, const std::string& text, const ActionCall& call) {
  if (status == WEFT_OK) {
    std::string error;
    if (auto output = parse_json(text, &error)) return StepOutcome::success(std::move(*output));
    return StepOutcome::failure(StepError{"invalid_output",
                                          call.plugin + "." + call.action + " returned something that is not JSON: " + error,
                                          false, nullptr});
  }
  const auto failure = weft::detail::error_from_text(text);
  return StepOutcome::failure(StepError{failure.code(), failure.what(), failure.retryable(), failure.details()});
}

}  // namespace

StepOutcome run_action(const LoadedPlugin& plugin, const ActionCall& call) {
  try {
    LogScope scope(LogContext{call.identity.trace_id, call.identity.execution_id, call.identity.step});
    const JsonObject context{{"execution_id", call.identity.execution_id},
                             {"workflow", call.identity.workflow},
                             {"version", call.identity.version},
                             {"step", call.identity.step},
                             {"attempt", call.identity.attempt},
                             {"trace_id", call.identity.trace_id},
                             {"idempotency_key", call.identity.idempotency_key},
                             {"transactional", call.services != nullptr && call.services->has_database()}};
    const auto context_text = to_json_text(context);
    const auto input_text = call.input ? to_json_text(*call.input) : std::string("null");
    const weft_host_api host{sizeof(weft_host_api), const_cast<ActionCall*>(&call), &db_query, &db_exec, &emit, &log};
    const weft_action_call abi_call{sizeof(weft_action_call), call.action.data(), call.action.size(),
                                    context_text.data(), context_text.size(), input_text.data(), input_text.size(),
                                    &host};
    weft::detail::TextSink out;
    const int status = plugin.descriptor().run(&abi_call, out.get());
    return outcome_from(status, out.text(), call);
  } catch (const std::exception& error) {
    // The SDK catches everything inside the plugin; this is the second line.
    return StepOutcome::failure(StepError{"error", std::string("plugin call failed: ") + error.what(), true, nullptr});
  } catch (...) {
    return StepOutcome::failure(StepError{"error", "plugin call failed with an unknown exception", true, nullptr});
  }
}

}  // namespace weft::plugins
