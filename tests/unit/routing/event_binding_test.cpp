#include "routing/encoding.hpp"
#include "routing/event.hpp"
#include "routing/event_binding.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using weft::routing::event_from_binary;
using weft::routing::ParseResult;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// The four required attributes as binary-mode headers, plus `extra`.
Headers required_headers(Headers extra = {}, const std::string& prefix = "ce-") {
  Headers headers{{prefix + "specversion", "1.0"},
                  {prefix + "id", "evt-1"},
                  {prefix + "source", "/mycontext"},
                  {prefix + "type", "com.example.someevent"},
                  {"Host", "example.com"},
                  {"Content-Length", "99"}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return headers;
}

const weft::routing::Event& accepted(const ParseResult& result) {
  INFO(result.error);
  REQUIRE(result.event.has_value());
  return *result.event;
}

const weft::JsonObject& document_of(const ParseResult& result) { return accepted(result).document.as_object(); }

/// What parse_event says of `json_text`, to compare binary mode's errors with.
std::string structured_error(const std::string& json_text) {
  const auto result = weft::routing::parse_event_text(json_text);
  REQUIRE_FALSE(result.event.has_value());
  return result.error;
}

}  // namespace

TEST_CASE("binary mode: a JSON body becomes data as JSON", "[routing][binding]") {
  const auto result = event_from_binary(required_headers(), R"({"qty":2,"sku":"S-1"})",
                                        "application/json; charset=utf-8");
  const auto& event = accepted(result);
  CHECK(event.id == "evt-1");
  CHECK(event.source == "/mycontext");
  CHECK(event.type == "com.example.someevent");
  CHECK(event.data.at("qty").as_int64() == 2);
  const auto& document = document_of(result);
  CHECK(document.at("datacontenttype").as_string() == "application/json; charset=utf-8");
  CHECK(document.at("data").at("sku").as_string() == "S-1");
  CHECK_FALSE(document.contains("data_base64"));
  CHECK_FALSE(document.contains("host"));  // only ce- headers are attributes

  const auto suffixed = event_from_binary(required_headers(), "[1,2]", "application/vnd.example.order+json");
  CHECK(accepted(suffixed).data == weft::Json(weft::JsonArray{1, 2}));
  const auto string_json = event_from_binary(required_headers(), R"("I'm just a string")", "application/json");
  CHECK(accepted(string_json).data.as_string() == "I'm just a string");
}

TEST_CASE("binary mode: a body that is declared JSON but is not is refused", "[routing][binding]") {
  const auto result = event_from_binary(required_headers(), "{not json", "application/json");
  REQUIRE_FALSE(result.event.has_value());
  CHECK(result.error.rfind("event body (application/json): invalid JSON", 0) == 0);
  // Without quotes a string is not JSON: the JSON format's own example of an invalid event.
  CHECK_FALSE(event_from_binary(required_headers(), "I'm just a string", "application/json").event);
}

TEST_CASE("binary mode: a text body becomes data as a string", "[routing][binding]") {
  const auto plain = event_from_binary(required_headers(), "hello w\xC3\xB6rld\n", "text/plain");
  CHECK(accepted(plain).data.as_string() == "hello w\xC3\xB6rld\n");
  CHECK_FALSE(document_of(plain).contains("data_base64"));

  const auto xml = event_from_binary(required_headers(), R"(<much wow="xml"/>)", "application/xml; charset=UTF-8");
  CHECK(accepted(xml).data.as_string() == R"(<much wow="xml"/>)");

  const auto latin1_ascii = event_from_binary(required_headers(), "plain ascii", "text/plain; charset=iso-8859-1");
  CHECK(accepted(latin1_ascii).data.as_string() == "plain ascii");
}

TEST_CASE("binary mode: a binary body becomes data_base64", "[routing][binding]") {
  const std::string bytes("\x00\x01\x02\xFF", 4);
  const auto result = event_from_binary(required_headers(), bytes, "application/octet-stream");
  const auto& document = document_of(result);
  CHECK(document.at("data_base64").as_string() == "AAEC/w==");
  CHECK_FALSE(document.contains("data"));
  CHECK(accepted(result).data.is_null());

  SECTION("no Content-Type: opaque bytes, no datacontenttype") {
    const auto untyped = event_from_binary(required_headers(), "abc", "");
    CHECK(document_of(untyped).at("data_base64").as_string() == "YWJj");
    CHECK_FALSE(document_of(untyped).contains("datacontenttype"));
  }
  SECTION("text that is not UTF-8 keeps its bytes") {
    const auto broken = event_from_binary(required_headers(), "caf\xE9", "text/plain");
    CHECK(document_of(broken).at("data_base64").as_string() == "Y2Fm6Q==");
    const auto latin1 = event_from_binary(required_headers(), "caf\xE9", "text/plain; charset=ISO-8859-1");
    CHECK(document_of(latin1).at("data_base64").as_string() == "Y2Fm6Q==");
  }
}

TEST_CASE("binary mode: an empty body is an event without data", "[routing][binding]") {
  for (const char* content_type : {"application/json", "text/plain", "application/octet-stream", ""}) {
    const auto result = event_from_binary(required_headers(), "", content_type);
    CHECK_FALSE(document_of(result).contains("data"));
    CHECK_FALSE(document_of(result).contains("data_base64"));
  }
}

TEST_CASE("binary mode: header values are unquoted and percent-decoded, names compared case-insensitively",
          "[routing][binding]") {
  const auto result = event_from_binary(
      {{"CE-SpecVersion", "1.0"},
       {"Ce-Id", "evt%2F1"},
       {"ce-source", " \"/my context\" "},
       {"ce-type", "com.example.someevent"},
       {"ce-subject", "Euro%20%E2%82%AC%20%F0%9F%98%80"},
       {"ce-comexampleextension1", "%e2%82%ac"},
       {"ce-comexampleothervalue", "5"},
       {"ce-quoted", R"("say \"hi\"")"},
       {"ce-time", "2018-04-05T03:56:24Z"}},
      "", "");
  const auto& event = accepted(result);
  CHECK(event.id == "evt/1");
  CHECK(event.source == "/my context");
  CHECK(event.time == "2018-04-05T03:56:24Z");
  const auto& document = document_of(result);
  CHECK(document.at("subject").as_string() == "Euro \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(document.at("comexampleextension1").as_string() == "\xE2\x82\xAC");
  CHECK(document.at("comexampleothervalue").as_string() == "5");  // headers carry strings
  CHECK(document.at("quoted").as_string() == "say \"hi\"");
}

TEST_CASE("binary mode: bad header encodings are refused, naming the header", "[routing][binding]") {
  const auto error_with = [](const std::string& name, const std::string& value) {
    const auto result = event_from_binary(required_headers({{name, value}}), "", "");
    CHECK_FALSE(result.event.has_value());
    return result.error;
  };
  CHECK(error_with("ce-subject", "%C0%A0") == R"(header "ce-subject" is not UTF-8 once percent-decoded)");
  CHECK(error_with("ce-subject", "%ED%A0%80") == R"(header "ce-subject" is not UTF-8 once percent-decoded)");
  CHECK(error_with("ce-subject", "100%") == R"(header "ce-subject" has a '%' that is not followed by two hex digits)");
  CHECK(error_with("ce-subject", "%zz") == R"(header "ce-subject" has a '%' that is not followed by two hex digits)");
  CHECK(error_with("ce-subject", "\"open") == R"(header "ce-subject" has an unterminated or malformed quoted string)");
  CHECK(error_with("CE-ID", "evt-2") == R"(header "CE-ID" is given more than once)");
  CHECK(error_with("ce-datacontenttype", "application/json") ==
        R"(header "ce-datacontenttype" is not allowed in binary mode: the Content-Type header gives datacontenttype)");
  CHECK(error_with("ce-data", "{}") == R"(header "ce-data" is not allowed in binary mode: the body carries the data)");
  CHECK(error_with("ce-data_base64", "AAEC") ==
        R"(header "ce-data_base64" is not allowed in binary mode: the body carries the data)");
}

TEST_CASE("binary mode: attributes are checked by parse_event, with its errors", "[routing][binding]") {
  SECTION("missing ce-specversion") {
    const auto result = event_from_binary(
        {{"ce-id", "evt-1"}, {"ce-source", "/mycontext"}, {"ce-type", "t"}}, "{}", "application/json");
    CHECK_FALSE(result.event.has_value());
    CHECK(result.error == R"(event attribute "specversion" is required)");
    CHECK(result.error == structured_error(R"({"id":"evt-1","source":"/mycontext","type":"t","data":{}})"));
  }
  SECTION("bad ce-time") {
    const auto result = event_from_binary(required_headers({{"ce-time", "yesterday"}}), "", "");
    CHECK_FALSE(result.event.has_value());
    CHECK(result.error ==
          R"(event attribute "time" must be an RFC 3339 timestamp such as 2026-11-21T10:30:00Z)");
    CHECK(result.error == structured_error(R"({"specversion":"1.0","id":"evt-1","source":"/mycontext",
                                               "type":"t","time":"yesterday"})"));
  }
  SECTION("wrong ce-specversion") {
    const auto result = event_from_binary(
        {{"ce-specversion", "0.3"}, {"ce-id", "e"}, {"ce-source", "s"}, {"ce-type", "t"}}, "", "");
    CHECK(result.error == R"(event attribute "specversion" must be "1.0")");
  }
  SECTION("an extension header whose name is no attribute name") {
    const auto result = event_from_binary(required_headers({{"ce-my_ext", "v"}}), "", "");
    CHECK(result.error.rfind(R"(event attribute "my_ext" has an invalid name)", 0) == 0);
  }
  SECTION("a Content-Type that is no media type") {
    const auto result = event_from_binary(required_headers(), "abc", "application");
    CHECK(result.error.rfind(R"(event attribute "datacontenttype" must be a media type)", 0) == 0);
  }
}

TEST_CASE("binary mode with Kafka's ce_ prefix", "[routing][binding]") {
  const auto result = event_from_binary(required_headers({{"ce-other", "ignored"}, {"ce_partitionkey", "k1"}}, "ce_"),
                                        R"({"n":1})", "application/json", "ce_");
  const auto& document = document_of(result);
  CHECK(document.at("id").as_string() == "evt-1");
  CHECK(document.at("partitionkey").as_string() == "k1");
  CHECK_FALSE(document.contains("other"));
  // ce- headers are not attributes under the ce_ prefix, so the event lacks them all.
  CHECK(event_from_binary(required_headers(), "", "", "ce_").error == R"(event attribute "specversion" is required)");
}

TEST_CASE("a batch is all or nothing", "[routing][binding][batch]") {
  using weft::routing::parse_event_batch;
  using weft::routing::parse_event_batch_text;
  const std::string good0 = R"({"specversion":"1.0","id":"e0","source":"s","type":"t","data":1})";
  const std::string good1 = R"({"specversion":"1.0","id":"e1","source":"s","type":"t"})";
  const std::string bad = R"({"specversion":"1.0","id":"e2","source":"s","type":"t","time":"soon"})";

  const auto both = parse_event_batch_text("[" + good0 + "," + good1 + "]");
  REQUIRE(both.events.has_value());
  CHECK(both.error.empty());
  REQUIRE(both.events->size() == 2);
  CHECK(both.events->at(0).id == "e0");
  CHECK(both.events->at(1).id == "e1");

  const auto empty = parse_event_batch_text(" [ ] ");
  REQUIRE(empty.events.has_value());
  CHECK(empty.events->empty());

  const auto one_bad = parse_event_batch_text("[" + good0 + "," + good1 + "," + bad + "]");
  CHECK_FALSE(one_bad.events.has_value());
  CHECK(one_bad.error == "event 2: " + structured_error(bad));

  const auto nested = parse_event_batch_text("[[" + good0 + "]]");
  CHECK_FALSE(nested.events.has_value());
  CHECK(nested.error == "event 0: event must be a JSON object");

  CHECK(parse_event_batch(*weft::parse_json(good0)).error == "an event batch must be a JSON array");
  CHECK(parse_event_batch_text("[").error.rfind("invalid JSON", 0) == 0);
}

TEST_CASE("media_type_of gives the lower-cased type/subtype", "[routing][binding]") {
  using weft::routing::media_type_of;
  CHECK(media_type_of("Application/CloudEvents+JSON; charset=UTF-8") == "application/cloudevents+json");
  CHECK(media_type_of("application/cloudevents-batch+json") == "application/cloudevents-batch+json");
  CHECK(media_type_of("  text/plain ;charset=\"utf-8\"  ") == "text/plain");
  CHECK(media_type_of("application") == "");
  CHECK(media_type_of("") == "");
  CHECK(media_type_of("text/plain; charset") == "");
}

TEST_CASE("the encodings CloudEvents leans on", "[routing][binding]") {
  using namespace weft::routing;
  // RFC 4648 section 10 test vectors.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, encoded] : vectors) {
    CHECK(base64_encode(bytes) == encoded);
    CHECK(is_base64(encoded));
    CHECK(base64_decode(encoded) == bytes);
  }
  CHECK_FALSE(is_base64("Zg="));
  CHECK_FALSE(is_base64("Z==="));
  CHECK_FALSE(is_base64("Zm9v YmFy"));
  CHECK_FALSE(is_base64("Zm9-"));  // the URL-safe alphabet is another encoding
  CHECK_FALSE(base64_decode("Zg=").has_value());
  const std::string all_bytes = [] {
    std::string bytes;
    for (int b = 0; b < 256; ++b) bytes += static_cast<char>(b);
    return bytes;
  }();
  CHECK(base64_decode(base64_encode(all_bytes)) == all_bytes);

  CHECK(is_utf8("plain"));
  CHECK(is_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_utf8("\xC0\xA0"));          // overlong space
  CHECK_FALSE(is_utf8("\xE0\x80\xA0"));      // overlong, three bytes
  CHECK_FALSE(is_utf8("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(is_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(is_utf8("\xE2\x82"));          // cut short

  CHECK(has_control_character("a\tb"));
  CHECK(has_control_character("a\x7F"));
  CHECK(has_control_character("a\xC2\x85"));  // U+0085, a C1 control
  CHECK_FALSE(has_control_character("\xC2\xA0 caf\xC3\xA9"));

  const auto media = parse_media_type("Multipart/Mixed; Boundary=\"a \\\"b\\\"\"; charset=utf-8");
  REQUIRE(media.has_value());
  CHECK(media->essence() == "multipart/mixed");
  REQUIRE(media->parameter("boundary") != nullptr);
  CHECK(*media->parameter("boundary") == "a \"b\"");
  CHECK(*media->parameter("charset") == "utf-8");
  CHECK_FALSE(media->is_json());
  CHECK(parse_media_type("text/json")->is_json());
  CHECK(parse_media_type("application/ld+json")->is_json());
  CHECK_FALSE(parse_media_type("application/+json")->is_json());
  CHECK_FALSE(parse_media_type("application/jsonx")->is_json());

  CHECK(is_absolute_uri("https://example.com/a%20b?q=1#f"));
  CHECK(is_absolute_uri("urn:isbn:0451450523"));
  CHECK_FALSE(is_absolute_uri("/relative/path"));
  CHECK_FALSE(is_absolute_uri("1http://example.com"));
  CHECK_FALSE(is_absolute_uri("https://example.com/%2"));
  CHECK_FALSE(is_absolute_uri("https://example.com/a b"));
}
