#include "support/browser.hpp"

#include "routing/encoding.hpp"

#include "support/http_client.hpp"
#include "support/process.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace weft::test {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kChromium = "/usr/bin/chromium";

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

struct Browser::Impl {
  std::unique_ptr<HostProcess> process;
  net::io_context io;
  std::optional<websocket::stream<beast::tcp_stream>> socket;
  std::thread reader;
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<Json> replies;
  std::vector<std::string> errors;
  bool closed = false;
  long long next_id = 0;

  ~Impl() {
    if (socket) {
      beast::error_code ignored;
      socket->next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    if (reader.joinable()) reader.join();
    process.reset();  // stops chromium
  }

  /// Reads every message: replies are queued for `call`, console errors kept.
  void read_all() {
    for (;;) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      socket->read(buffer, ec);
      std::lock_guard lock(mutex);
      if (ec) {
        closed = true;
        arrived.notify_all();
        return;
      }
      auto message = parse_json(beast::buffers_to_string(buffer.data()));
      if (!message || !message->is_object()) continue;
      const auto& object = message->as_object();
      if (object.contains("id")) {
        replies.push_back(std::move(*message));
        arrived.notify_all();
        continue;
      }
      const std::string method(object.contains("method") ? object.at("method").as_string() : "");
      const auto* params = object.if_contains("params");
      if (method == "Runtime.consoleAPICalled" && params && params->at("type") == "error") {
        std::string line = "console.error:";
        for (const auto& argument : params->at("args").as_array()) {
          if (const auto* value = argument.as_object().if_contains("value")) line += " " + to_json_text(*value);
          else if (const auto* text = argument.as_object().if_contains("description")) line += " " + to_json_text(*text);
        }
        errors.push_back(line);
      } else if (method == "Runtime.exceptionThrown" && params) {
        errors.push_back("exception: " + to_json_text(params->at("exceptionDetails")));
      } else if (method == "Log.entryAdded" && params && params->at("entry").at("level") == "error") {
        errors.push_back("log: " + to_json_text(params->at("entry").at("text")));
      }
    }
  }

  Json call(const std::string& method, Json params = JsonObject{},
            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    long long id = 0;
    {
      std::lock_guard lock(mutex);
      id = ++next_id;
    }
    socket->write(net::buffer(to_json_text(JsonObject{{"id", id}, {"method", method}, {"params", std::move(params)}})));
    std::unique_lock lock(mutex);
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      for (auto it = replies.begin(); it != replies.end(); ++it) {
        if (it->at("id").to_number<long long>() != id) continue;
        Json reply = std::move(*it);
        replies.erase(it);
        if (const auto* error = reply.as_object().if_contains("error"))
          throw std::runtime_error("browser: " + method + ": " + to_json_text(*error));
        return reply.at("result");
      }
      if (closed) throw std::runtime_error("browser: the DevTools connection closed during " + method);
      if (arrived.wait_until(lock, deadline) == std::cv_status::timeout)
        throw std::runtime_error("browser: no answer to " + method);
    }
  }
};

bool Browser::available() { return access(kChromium, X_OK) == 0; }

Browser::Browser(const std::filesystem::path& profile_dir, int width, int height) : impl_(std::make_unique<Impl>()) {
  std::filesystem::create_directories(profile_dir);
  const auto log = profile_dir / "chromium.log";
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  impl_->process = std::make_unique<HostProcess>(
      kChromium,
      std::vector<std::string>{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                               "--remote-debugging-port=0", "--user-data-dir=" + profile_dir.string(),
                               "--window-size=" + std::to_string(width) + "," + std::to_string(height), "about:blank"},
      log);
  static const std::regex listening(R"(DevTools listening on ws://127\.0\.0\.1:(\d+)/)");
  std::smatch match;
  std::string text;
  for (const auto deadline = Clock::now() + std::chrono::seconds(30);; std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
    text = read_text(log);
    if (std::regex_search(text, match, listening)) break;
    if (Clock::now() > deadline || !impl_->process->running())
      throw std::runtime_error("chromium did not start: " + text);
  }
  const auto port = static_cast<unsigned short>(std::stoi(match[1]));

  // The page opened at start (about:blank) is the one driven.
  HttpClient devtools("127.0.0.1", port);
  std::string target;
  const auto pages = devtools.get("/json/list").json();
  for (const auto& entry : pages.as_array()) {
    if (entry.at("type") == "page") target = std::string(entry.at("webSocketDebuggerUrl").as_string());
  }
  if (target.empty()) throw std::runtime_error("chromium has no page to drive");
  const auto path = target.substr(target.find('/', std::string("ws://").size()));

  impl_->socket.emplace(impl_->io);
  impl_->socket->next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  impl_->socket->read_message_max(64u << 20);  // screenshots
  impl_->socket->handshake("127.0.0.1:" + std::to_string(port), path);
  impl_->reader = std::thread([impl = impl_.get()] { impl->read_all(); });
  impl_->call("Runtime.enable");
  impl_->call("Log.enable");
  impl_->call("Page.enable");
}

Browser::~Browser() {
  try {
    impl_->call("Browser.close", JsonObject{}, std::chrono::seconds(5));
  } catch (const std::exception&) {
    // Closing anyway: Impl stops the process.
  }
}

void Browser::navigate(const std::string& url) {
  impl_->call("Page.navigate", JsonObject{{"url", url}});
  if (!wait_for("document.readyState === 'complete'"))
    throw std::runtime_error("browser: " + url + " did not finish loading");
}

Json Browser::evaluate(const std::string& expression) {
  const auto result = impl_->call(
      "Runtime.evaluate", JsonObject{{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (const auto* thrown = result.as_object().if_contains("exceptionDetails"))
    throw std::runtime_error("browser: " + expression + " threw " + to_json_text(*thrown));
  const auto& value = result.at("result").as_object();
  return value.contains("value") ? value.at("value") : Json(nullptr);
}

bool Browser::wait_for(const std::string& expression, std::chrono::milliseconds timeout) {
  for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(50))) {
    if (evaluate("Boolean(" + expression + ")") == true) return true;
  }
  return false;
}

bool Browser::click(const std::string& selector) {
  return evaluate("(() => { const e = document.querySelector(" + to_json_text(Json(selector)) +
                  "); if (!e) return false; e.click(); return true; })()") == true;
}

void Browser::screenshot(const std::filesystem::path& file) {
  const auto result = impl_->call("Page.captureScreenshot", JsonObject{{"format", "png"}, {"captureBeyondViewport", true}});
  std::filesystem::create_directories(file.parent_path());
  const auto png = routing::base64_decode(std::string(result.at("data").as_string()));
  if (!png) throw std::runtime_error("browser: a screenshot that is not base64");
  std::ofstream(file, std::ios::binary) << *png;
}

void Browser::resize(int width, int height) {
  impl_->call("Emulation.setDeviceMetricsOverride",
              JsonObject{{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", width < 600}});
}

std::vector<std::string> Browser::errors() {
  std::lock_guard lock(impl_->mutex);
  return impl_->errors;
}

}  // namespace weft::test
