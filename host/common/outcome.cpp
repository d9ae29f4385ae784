#include "common/outcome.hpp"

namespace weft {

Json StepError::to_json() const {
  JsonObject object{{"code", code}, {"message", message}, {"retryable", retryable}};
  if (!details.is_null()) object["details"] = details;
  return object;
}

StepError StepError::from_json(const Json& value) {
  StepError error;
  const auto* object = value.if_object();
  if (object == nullptr) {
    error.code = "error";
    error.message = to_json_text(value);
    return error;
  }
  if (const auto* code = object->if_contains("code"); code && code->is_string())
    error.code = std::string(code->get_string());
  if (const auto* message = object->if_contains("message"); message && message->is_string())
    error.message = std::string(message->get_string());
  if (const auto* retryable = object->if_contains("retryable"); retryable && retryable->is_bool())
    error.retryable = retryable->get_bool();
  if (const auto* details = object->if_contains("details")) error.details = *details;
  return error;
}

}  // namespace weft
