#include "http/error_codes.hpp"

#include "common/json.hpp"

namespace weft::http {

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest: return 400;
    case ErrorCode::InvalidEvent: return 400;
    case ErrorCode::Unauthorized: return 401;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::MethodNotAllowed: return 405;
    case ErrorCode::Conflict: return 409;
    case ErrorCode::PayloadTooLarge: return 413;
    case ErrorCode::UnsupportedMediaType: return 415;
    case ErrorCode::HeadersTooLarge: return 431;
    case ErrorCode::Busy: return 503;
    case ErrorCode::Unavailable: return 503;
    case ErrorCode::Internal: return 500;
  }
  return 500;
}

std::string_view name_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest: return "bad_request";
    case ErrorCode::InvalidEvent: return "invalid_event";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::MethodNotAllowed: return "method_not_allowed";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::PayloadTooLarge: return "payload_too_large";
    case ErrorCode::UnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::HeadersTooLarge: return "headers_too_large";
    case ErrorCode::Busy: return "busy";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

Response error_response(ErrorCode code, std::string_view message) {
  Response response;
  response.status = status_of(code);
  response.body = R"({"error":{"code":)";
  append_json_string(response.body, name_of(code));
  response.body += R"(,"message":)";
  append_json_string(response.body, message);
  response.body += "}}";
  if (code == ErrorCode::Unauthorized) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (code == ErrorCode::Busy) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace weft::http
