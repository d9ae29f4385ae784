// The `http` plugin: `http.request` makes one outbound HTTP/1.1 request.
// 2xx/3xx: the output is {status, headers, body}; 4xx fails without retrying
// (code http_<status>); 5xx, connection errors and timeouts are retried.
#include "http_request.hpp"

#include <weft/plugin.hpp>

namespace {

class RequestAction final : public weft::Action {
 public:
  explicit RequestAction(const std::chrono::milliseconds& default_timeout) : default_timeout_(default_timeout) {}

  weft::Json run(weft::Context& ctx, const weft::Json& input) override {
    const auto request = weft_http::parse_request(input, default_timeout_);
    auto response = weft_http::exchange(request);
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
  const std::chrono::milliseconds& default_timeout_;
};

// Settings (`plugins: {http: {timeout: 10s}}`): the timeout of requests that name none.
std::chrono::milliseconds default_timeout{30000};

}  // namespace

WEFT_PLUGIN(http, "1.0.0") {
  plugin.action<RequestAction>("request", default_timeout);
  plugin.on_init([](const weft::Json& config) {
    if (config.is_null()) return;
    const auto* timeout = config.is_object() ? config.as_object().if_contains("timeout") : nullptr;
    if (!config.is_object() || (config.as_object().size() != (timeout ? 1u : 0u)))
      throw weft::Failure("invalid_config", "http plugin settings: only `timeout` is known");
    if (timeout) {
      const auto probe = weft_http::parse_request(boost::json::object{{"url", "http://localhost/"}, {"timeout", *timeout}},
                                                  default_timeout);
      default_timeout = probe.timeout;
    }
  });
}
