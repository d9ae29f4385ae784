// The CloudEvents conformance cases of tests/unit/routing/cases/cloudevents
// through the HTTP binding: every invalid case refused with its expected
// message in structured, batch and application/json modes (and by `weft emit`);
// every valid case accepted in those modes and, for single events, in binary
// mode (attributes as ce-* headers, data as the body), and stored as it was sent.
#include "http_fixture.hpp"
#include "routing/encoding.hpp"
#include "support/cloudevent_cases.hpp"

#include <pqxx/pqxx>

#include <algorithm>

using weft::test::HostFixture;
using weft::test::HttpHost;
using weft::test::HttpResponse;
using weft::test::cloudevent_cases;
using weft::test::expected_error;
using weft::test::is_batch_case;
using weft::test::read_text_file;

namespace {

std::string without_line_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

HttpResponse post(weft::test::HttpClient& client, const std::string& body, const std::string& content_type) {
  return client.request("POST", "/v1/events", body, {{"Content-Type", content_type}});
}

std::string decoded_base64(const std::string& text) {
  const auto bytes = weft::routing::base64_decode(text);
  REQUIRE(bytes);
  return *bytes;
}

/// A host needs a workflow; this one matches none of the cases' types.
void idle_workflow(HostFixture& fx) {
  fx.workflow("idle.yaml", "id: idle\non: [ { type: never.sent } ]\nsteps:\n  - id: one\n    lua: one.lua\n");
  fx.script("one.lua", "return function(ctx, input) return 1 end\n");
}

bool is_json_media(const std::string& type) {
  const auto media = type.substr(0, type.find(';'));
  return media.empty() || media == "application/json" || media.ends_with("+json");
}

/// The event in binary mode: attributes as ce-* headers, the data as the body.
HttpResponse post_binary(weft::test::HttpClient& client, const weft::JsonObject& event) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
  for (const auto& member : event) {
    const std::string name(member.key());
    const auto& value = member.value();
    if (name == "data" || name == "data_base64" || value.is_null()) continue;
    if (name == "datacontenttype") {
      content_type = std::string(value.as_string());
      continue;
    }
    headers.emplace_back("ce-" + name, value.is_string() ? std::string(value.as_string()) : weft::to_json_text(value));
  }
  if (const auto* data = event.if_contains("data")) {
    body = data->is_string() && !is_json_media(content_type) ? std::string(data->as_string()) : weft::to_json_text(*data);
    if (content_type.empty()) content_type = "application/json";
  } else if (const auto* base64 = event.if_contains("data_base64")) {
    body = decoded_base64(std::string(base64->as_string()));
    if (content_type.empty()) content_type = "application/octet-stream";
  }
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  return client.request("POST", "/v1/events", body, headers);
}

}  // namespace

TEST_CASE("every invalid conformance case is refused over HTTP with the message weft emit gives", "[http][pg]") {
  HostFixture fx;
  idle_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  const auto invalid = cloudevent_cases("invalid");
  REQUIRE(invalid.size() > 50);
  for (const auto& file : invalid) {
    INFO(file.filename().string());
    const auto text = read_text_file(file);
    const auto expected = expected_error(file);
    const auto structured = post(client, text, is_batch_case(text) ? "application/cloudevents-batch+json"
                                                              : "application/cloudevents+json");
    const auto plain = post(client, text, "application/json");
    for (const auto* answer : {&structured, &plain}) {
      CHECK(answer->status == 400);
      CHECK(answer->error_code() == "invalid_event");
      CHECK(answer->body.find(weft::to_json_text(weft::Json(expected)).substr(1, expected.size())) != std::string::npos);
    }
    if (text.find('\n') == text.size() - 1 || text.find('\n') == std::string::npos) {
      const auto emitted = fx.weft({"emit"}, without_line_end(text) + "\n");
      CHECK(emitted.exit_code == 2);
      CHECK(emitted.err.find(expected) != std::string::npos);
    }
  }
  pqxx::connection db(fx.url());
  pqxx::nontransaction txn(db);
  CHECK(txn.exec1("SELECT count(*) FROM weft.events")[0].as<long long>() == 0);
}

TEST_CASE("every valid conformance case is accepted over HTTP in every mode and stored as sent", "[http][pg]") {
  HostFixture fx;
  idle_workflow(fx);
  HttpHost http(fx);
  auto& client = *http.client;
  pqxx::connection db(fx.url());
  // The payload as bytes: binary mode keeps a body that is not text as data_base64,
  // where structured mode may have sent the same bytes as a JSON string.
  const auto stored_payload = [&](const std::string& source, const std::string& id) {
    pqxx::nontransaction txn(db);
    const auto rows = txn.exec_params(
        "SELECT (document->'data')::text, document->>'data_base64', document->>'datacontenttype' "
        "FROM weft.events WHERE source = $1 AND id = $2",
        source, id);
    REQUIRE(rows.size() == 1);
    if (!rows[0][1].is_null()) return decoded_base64(rows[0][1].c_str());
    if (rows[0][0].is_null()) return std::string();
    const auto data = weft::parse_json(rows[0][0].c_str());
    const std::string type = rows[0][2].is_null() ? "" : rows[0][2].c_str();
    if (data->is_string() && !is_json_media(type)) return std::string(data->as_string());
    return weft::to_json_text(*data);
  };
  int mode = 0;
  for (const auto& file : cloudevent_cases("valid")) {
    INFO(file.filename().string());
    const auto text = read_text_file(file);
    const auto parsed = weft::parse_json(text);
    REQUIRE(parsed);
    // Each mode stores the case under an id of its own, so that none is a duplicate of another.
    const auto renamed = [&](const weft::Json& event) {
      auto copy = event.as_object();
      const auto suffix = "#" + std::to_string(++mode);
      const std::string id(copy["id"].as_string());
      copy["id"] = id.substr(0, std::min(id.size(), 256 - suffix.size())) + suffix;  // ids hold at most 256 bytes
      return copy;
    };
    if (parsed->is_array()) {
      weft::JsonArray batch;
      for (const auto& event : parsed->as_array()) batch.emplace_back(renamed(event));
      CHECK(post(client, weft::to_json_text(batch), "application/cloudevents-batch+json").status == 202);
      continue;
    }
    const auto structured = renamed(*parsed);
    const auto plain = renamed(*parsed);
    const auto binary = renamed(*parsed);
    CHECK(post(client, weft::to_json_text(structured), "application/cloudevents+json").status == 202);
    CHECK(post(client, weft::to_json_text(plain), "application/json").status == 202);
    const auto answer = post_binary(client, binary);
    INFO(answer.body);
    CHECK(answer.status == 202);
    if (answer.status != 202) continue;
    // The same data, however it came.
    const std::string source(structured.at("source").as_string());
    const auto sent = stored_payload(source, std::string(structured.at("id").as_string()));
    const auto through_headers = stored_payload(source, std::string(binary.at("id").as_string()));
    CHECK(through_headers == sent);
  }
}
