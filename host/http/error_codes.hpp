// The one list of error codes the HTTP API answers with, each with its status.
// Every error body has one shape: {"error":{"code":"...","message":"..."}}.
#pragma once

#include "http/message.hpp"

#include <string>
#include <string_view>

namespace weft::http {

enum class ErrorCode {
  BadRequest,            // 400 malformed request, JSON, parameter or cursor
  InvalidEvent,          // 400 a body that is not a valid CloudEvent (or batch)
  Unauthorized,          // 401 missing or wrong token
  NotFound,              // 404 unknown path, execution, trace, workflow
  MethodNotAllowed,      // 405 known path, other method
  Conflict,              // 409 the execution is in a state that refuses it (finished, ...)
  PayloadTooLarge,       // 413 body over --http-max-body
  UnsupportedMediaType,  // 415 a content type the endpoint does not take
  HeadersTooLarge,       // 431
  Busy,                  // 503 too many requests waiting
  Unavailable,           // 503 the database cannot be reached
  Internal,              // 500 a fault in the host (logged)
};

int status_of(ErrorCode code);
std::string_view name_of(ErrorCode code);

/// {"error":{"code","message"}} with the code's status.
Response error_response(ErrorCode code, std::string_view message);

}  // namespace weft::http
