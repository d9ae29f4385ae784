// The `http` plugin: `http.request` makes one outbound HTTP/1.1 request, over
// TLS with the server's certificate verified for https://.
// 2xx/3xx: the output is {status, headers, body}; 4xx fails without retrying
// (code http_<status>), as does a certificate that does not verify
// (tls_verification_failed); 5xx, connection errors and timeouts are retried.
#include "http_request.hpp"

#include <weft/plugin.hpp>

namespace {

/// The plugin's settings (`plugins: {http: {timeout: 10s, ca_file: /path/ca.pem}}`), set by init before any call.
struct Settings {
  std::chrono::milliseconds timeout{30000};         // of requests that name none
  std::shared_ptr<boost::asio::ssl::context> tls;  // for https://: the system CAs or `ca_file`
};

class RequestAction final : public weft::Action {
 public:
  explicit RequestAction(const Settings& settings) : settings_(settings) {}

  weft::Json run(weft::Context& ctx, const weft::Json& input) override {
    auto request = weft_http::parse_request(input, settings_.timeout);
    weft_http::add_traceparent(request, ctx.trace_id());
    auto response = weft_http::exchange(request, *settings_.tls);
    const auto status = response.at("status").to_number<int>();
    if (status >= 400) {
      const bool retryable = status >= 500;
      ctx.log().warn("http request failed", {{"status", status}, {"url", input.at("url")}});
      throw weft::Error("http_" + std::to_string(status),
                        request.method + " " + std::string(input.at("url").as_string()) + " answered " +
                            std::to_string(status),
                        retryable, std::move(response));
    }
    return response;
  }

 private:
  const Settings& settings_;
};

Settings settings;

}  // namespace

WEFT_PLUGIN(http, "1.1.0") {
  plugin.action<RequestAction>("request", settings);
  plugin.on_init([](const weft::Json& config) {
    if (!config.is_null() && !config.is_object())
      throw weft::Failure("invalid_config", "http plugin settings: expected a mapping with `timeout` and `ca_file`");
    Settings parsed;
    std::string ca_file;
    if (config.is_object()) {
      for (const auto& [key, value] : config.get_object()) {
        if (key == "timeout") {
          parsed.timeout =
              weft_http::parse_request(boost::json::object{{"url", "http://localhost/"}, {"timeout", value}}, parsed.timeout)
                  .timeout;
        } else if (key == "ca_file") {
          if (!value.is_string() || value.get_string().empty())
            throw weft::Failure("invalid_config", "http plugin settings: `ca_file` must be the path of a PEM file");
          ca_file = value.get_string();
        } else {
          throw weft::Failure("invalid_config",
                              "http plugin settings: unknown key '" + std::string(key) + "' (timeout ca_file)");
        }
      }
    }
    parsed.tls = weft_http::tls_client_context(ca_file);
    settings = std::move(parsed);
  });
}
