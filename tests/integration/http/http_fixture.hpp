// A `weft serve --http 127.0.0.1:0` host on a fresh database, and a real client to it.
#pragma once

#include "../host/host_fixture.hpp"
#include "support/http_client.hpp"

#include <memory>
#include <optional>

namespace weft::test {

/// Waits for the host to log its HTTP port; fails the test if it never does.
inline unsigned short wait_for_http_port(HostProcess& host) {
  std::optional<unsigned short> port;
  eventually([&] {
    port = logged_http_port(host.log());
    return port.has_value() || !host.running();
  });
  INFO(host.log());
  REQUIRE(port.has_value());
  return *port;
}

struct HttpHost {
  explicit HttpHost(HostFixture& fixture, std::vector<std::string> extra = {}, const Environment& environment = {}) {
    std::vector<std::string> args = {"--http", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (environment.empty()) {
      host = fixture.serve(args);
    } else {
      std::vector<std::string> full = {"serve", "--workflows", fixture.workflows(), "--db", fixture.url(), "--workers", "4"};
      full.insert(full.end(), args.begin(), args.end());
      host = std::make_unique<HostProcess>(full, fixture.dir().path() / "http-host.log", environment);
    }
    port = wait_for_http_port(*host);
    client = std::make_unique<HttpClient>("127.0.0.1", port);
  }
  std::unique_ptr<HostProcess> host;
  unsigned short port = 0;
  std::unique_ptr<HttpClient> client;
};

}  // namespace weft::test
