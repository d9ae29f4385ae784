// A real headless Chromium for the dashboard tests, driven over the DevTools
// protocol (a WebSocket per page, Boost.Beast): navigate, evaluate JavaScript,
// wait for a condition, click, take screenshots, and collect every console
// error and uncaught exception the page produced.
#pragma once

#include "common/json.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace weft::test {

class Browser {
 public:
  /// Starts Debian's chromium (headless, its own profile under `profile_dir`)
  /// with a `width` x `height` window. Throws when it cannot.
  explicit Browser(const std::filesystem::path& profile_dir, int width = 1280, int height = 900);
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  /// True when a chromium executable is installed.
  static bool available();

  void navigate(const std::string& url);
  /// The value of a JavaScript expression (awaited when it is a promise); throws on an exception.
  Json evaluate(const std::string& expression);
  /// Polls `expression` until it is true; false after `timeout`.
  bool wait_for(const std::string& expression, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// Clicks the first element matching the CSS selector; false when there is none.
  bool click(const std::string& selector);
  /// The page as it looks now, as a PNG file.
  void screenshot(const std::filesystem::path& file);
  /// Renders the page at this size from now on (a phone: 390 x 844).
  void resize(int width, int height);
  /// Console errors and uncaught exceptions since the start, one line each.
  std::vector<std::string> errors();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::test
