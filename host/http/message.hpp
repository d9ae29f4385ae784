// What the HTTP server hands to its handler and takes back: plain values, no
// Beast types, so the API above it is tested and written without the transport.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // upper case, as sent: GET, POST, ...
  std::string path;    // percent-decoded, without the query
  Fields query;        // percent-decoded name/value pairs, in order
  Fields headers;      // names lower-cased
  std::string body;
  std::string remote;  // the peer's address

  /// The first header of that (lower-case) name, or null.
  const std::string* header(std::string_view name) const;
  /// The first query parameter of that name.
  std::optional<std::string> query_value(std::string_view name) const;
};

/// A response that stays open and sends Server-Sent Events as they come.
/// The session calls `start` once the headers are written, then `take` each
/// time `wake` was called (and after each write): new text to send, an empty
/// string when there is nothing now, nullopt when the stream is over (the
/// connection closes). `stop` is called once when the client is gone or the
/// server stops; `wake` must not be called after it returns.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual void start(std::function<void()> wake) = 0;
  virtual std::optional<std::string> take() = 0;
  virtual void stop() = 0;
};

class Deferred;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;                       // extra headers
  std::shared_ptr<EventStream> stream;  // set: `body` is ignored and the connection streams
  /// Set: the answer comes later through it, and the handler thread is free
  /// meanwhile (e.g. while a group commit holding the request is under way).
  std::shared_ptr<Deferred> deferred;
};

/// A response completed later, from any thread, exactly once. The server
/// keeps the request in flight (a graceful stop waits for it) until then.
class Deferred {
 public:
  void complete(Response response);
  /// For the server: `deliver` runs once with the response, at once if it is already complete.
  void on_complete(std::function<void(Response)> deliver);

 private:
  std::mutex mutex_;
  std::optional<Response> ready_;
  std::function<void(Response)> deliver_;
};

/// Runs on one of the server's handler threads (`worker` is its index, for
/// per-thread resources such as a database connection); may block.
using Handler = std::function<Response(const Request& request, std::size_t worker)>;

}  // namespace weft::http
