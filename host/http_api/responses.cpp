// Helpers every endpoint uses: JSON responses and JSON request bodies.
#include "http_api/endpoints.hpp"

namespace weft::http_api {

http::Response json_response(int status, const Json& body) {
  http::Response response;
  response.status = status;
  response.body = to_json_text(body);
  return response;
}

std::optional<Json> read_json_body(const Call& call, http::Response& error) {
  const auto& body = call.request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Json(JsonObject{});
  if (const auto* type = call.request.header("content-type")) {
    const auto media = type->substr(0, type->find(';'));
    if (media.find("json") == std::string::npos) {
      error = http::error_response(http::ErrorCode::UnsupportedMediaType,
                                   "send the body as application/json (got '" + *type + "')");
      return std::nullopt;
    }
  }
  std::string message;
  auto parsed = parse_json(body, &message);
  if (!parsed) {
    error = http::error_response(http::ErrorCode::BadRequest, message);
    return std::nullopt;
  }
  return parsed;
}

}  // namespace weft::http_api
