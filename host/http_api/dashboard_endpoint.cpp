// GET / and GET /ui/<file>: the dashboard's files. Served without the token
// (they hold no data; the page asks for the token and sends it to the API),
// revalidated by ETag, and locked down by a content security policy that
// allows only this host's own scripts, styles and API.
#include "http_api/endpoints.hpp"

#include "dashboard/assets.hpp"

namespace weft::http_api {
namespace {

constexpr const char* kPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

}  // namespace

std::optional<http::Response> dashboard_file(const http::Request& request) {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  std::string_view path = request.path;
  if (path == "/") {
    path = "index.html";
  } else if (path.starts_with("/ui/")) {
    path.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto* asset = dashboard::find_asset(path);
  if (asset == nullptr) return http::error_response(http::ErrorCode::NotFound, "no dashboard file " + request.path);
  http::Response response;
  response.headers = {{"ETag", std::string(asset->etag)},
                      {"Cache-Control", "no-cache"},
                      {"Content-Security-Policy", kPolicy},
                      {"Referrer-Policy", "no-referrer"}};
  if (const auto* seen = request.header("if-none-match"); seen != nullptr && *seen == asset->etag) {
    response.status = 304;
    return response;
  }
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  return response;
}

}  // namespace weft::http_api
