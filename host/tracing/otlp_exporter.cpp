#include "tracing/otlp_exporter.hpp"

#include "common/json.hpp"
#include "common/thread_name.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <regex>
#include <stdexcept>

namespace weft::tracing {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The body is written straight into one string, without a JSON document per
// span: a busy host exports thousands of spans a second.

void append_attributes(std::string& out, const std::vector<std::pair<std::string, AttributeValue>>& attributes) {
  out += '[';
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const auto& [key, value] = attributes[i];
    if (i > 0) out += ',';
    out += "{\"key\":";
    append_json_string(out, key);
    out += ",\"value\":{";
    if (const auto* text = std::get_if<std::string>(&value)) {
      out += "\"stringValue\":";
      append_json_string(out, *text);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      out += "\"intValue\":\"" + std::to_string(*number) + '"';  // OTLP JSON: 64-bit integers as strings
    } else {
      out += std::get<bool>(value) ? "\"boolValue\":true" : "\"boolValue\":false";
    }
    out += "}}";
  }
  out += ']';
}

void append_span(std::string& out, const Span& span) {
  out += "{\"traceId\":\"" + span.trace_id + "\",\"spanId\":\"" + span.span_id + '"';
  if (!span.parent_span_id.empty()) out += ",\"parentSpanId\":\"" + span.parent_span_id + '"';
  out += ",\"name\":";
  append_json_string(out, span.name);
  out += ",\"kind\":1,\"startTimeUnixNano\":\"" + std::to_string(span.start_unix_nano) +
         "\",\"endTimeUnixNano\":\"" + std::to_string(span.end_unix_nano) + "\",\"attributes\":";
  append_attributes(out, span.attributes);
  if (span.error) {
    out += ",\"status\":{\"code\":2,\"message\":";
    append_json_string(out, span.status_message);
    out += "}}";
  } else {
    out += ",\"status\":{\"code\":1}}";
  }
}

}  // namespace

OtlpExporter::OtlpExporter(OtlpOptions options) : options_(std::move(options)) {
  static const std::regex url(R"(http://([A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]):([0-9]{1,5})(/[^\s]*)?)");
  std::smatch match;
  if (!std::regex_match(options_.url, match, url))
    throw std::invalid_argument("--otlp: expected http://HOST:PORT[/PATH] (OTLP over HTTP), got '" + options_.url + "'");
  host_ = match[1];
  if (host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
  port_ = match[2];
  if (const int port = std::stoi(port_); port < 1 || port > 65535)
    throw std::invalid_argument("--otlp: the port must be from 1 to 65535, got " + port_);
  target_ = match[3].matched && match[3].length() > 1 ? std::string(match[3]) : "/v1/traces";
  thread_ = std::thread([this] { run(); });
}

OtlpExporter::~OtlpExporter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void OtlpExporter::record(Span span) {
  std::unique_lock lock(mutex_);
  if (queue_.size() >= options_.max_queue) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(span));
  const bool full_batch = queue_.size() >= options_.max_batch;
  lock.unlock();
  if (full_batch) wake_.notify_one();
}

OtlpStats OtlpExporter::stats() const { return {exported_.load(), dropped_.load(), failed_requests_.load()}; }

void OtlpExporter::run() {
  name_this_thread("weft-otlp");
  for (;;) {
    std::deque<Span> batch;
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.interval, [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      last = stopping_;
      const auto count = std::min(queue_.size(), options_.max_batch);
      batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(count)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
    }
    if (!batch.empty()) {
      if (send(batch)) {
        exported_ += batch.size();
      } else {
        dropped_ += batch.size();
        // Stopping with a collector that is down: what is left is dropped, not waited for.
        if (last) {
          std::lock_guard lock(mutex_);
          dropped_ += queue_.size();
          queue_.clear();
        }
      }
    }
    std::lock_guard lock(mutex_);
    if (last && queue_.empty()) return;
  }
}

bool OtlpExporter::send(const std::deque<Span>& batch) {
  std::string body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":";
  std::vector<std::pair<std::string, AttributeValue>> resource{{"service.name", options_.service_name}};
  if (!options_.host_name.empty()) resource.emplace_back("host.name", options_.host_name);
  append_attributes(body, resource);
  body += "},\"scopeSpans\":[{\"scope\":{\"name\":\"weft\"},\"spans\":[";
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) body += ',';
    append_span(body, batch[i]);
  }
  body += "]}]}]}";
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(options_.timeout);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host_, port_));
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, target_, 11};
    request.set(bhttp::field::host, host_ + ":" + port_);
    request.set(bhttp::field::content_type, "application/json");
    request.body() = std::move(body);
    request.prepare_payload();
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (response.result_int() / 100 == 2) return true;
    if (failed_requests_++ == 0)
      spdlog::warn("otlp: the collector at {} answered {}; spans are dropped while it does", options_.url,
                   response.result_int());
  } catch (const std::exception& error) {
    if (failed_requests_++ == 0)
      spdlog::warn("otlp: cannot export to {}: {}; spans are dropped while it fails", options_.url, error.what());
  }
  return false;
}

}  // namespace weft::tracing
