// Text crossing the boundary: a sink that collects what the other side writes,
// and the error object both sides use. Internal to the SDK.
#pragma once

#include <weft/abi.h>
#include <weft/error.hpp>

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace weft::detail {

/// Collects what the other side writes into a weft_text_sink. Pinned in memory
/// (the C struct points at it), so it cannot be copied or moved.
class TextSink {
 public:
  TextSink() : sink_{this, &TextSink::write} {}
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;

  weft_text_sink* get() noexcept { return &sink_; }
  const std::string& text() const noexcept { return text_; }

 private:
  // Called from the other side: must not throw back across.
  static void write(void* self, const char* data, std::size_t size) noexcept {
    try {
      static_cast<TextSink*>(self)->text_.append(data, size);
    } catch (...) {
    }
  }
  std::string text_;
  weft_text_sink sink_;
};

inline void write_text(weft_text_sink* out, std::string_view text) noexcept {
  if (out != nullptr && out->write != nullptr) out->write(out->self, text.data(), text.size());
}

/// Writes {code, message, retryable, details}; never throws (out of memory: writes nothing).
inline void write_error(weft_text_sink* out, std::string_view code, std::string_view message, bool retryable,
                        const Json& details = nullptr) noexcept {
  try {
    const boost::json::object error{
        {"code", code}, {"message", message}, {"retryable", retryable}, {"details", details}};
    write_text(out, boost::json::serialize(error));
  } catch (...) {
  }
}

/// The Error an error object stands for (a malformed one becomes a retryable "error").
inline Error error_from_text(const std::string& text) {
  boost::json::error_code ec;
  const auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return Error("error", "malformed error from the other side: " + text);
  const auto& object = value.get_object();
  const auto* code = object.if_contains("code");
  const auto* message = object.if_contains("message");
  const auto* retryable = object.if_contains("retryable");
  const auto* details = object.if_contains("details");
  return Error(code && code->is_string() ? std::string(code->get_string()) : "error",
               message && message->is_string() ? std::string(message->get_string()) : text,
               !(retryable && retryable->is_bool()) || retryable->get_bool(), details ? *details : Json(nullptr));
}

}  // namespace weft::detail
