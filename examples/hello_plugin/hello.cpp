// The smallest useful plugin: `hello.greet` answers with a greeting built from
// its input and the plugin's config (`plugins: {hello: {greeting: Hi}}`).
#include <weft/plugin.hpp>

namespace {

class Greet final : public weft::Action {
 public:
  weft::Json run(weft::Context& ctx, const weft::Json& input) override {
    const auto* name = input.is_object() ? input.as_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string()) throw weft::Failure("no_name", "hello.greet needs a `name`");
    const auto& config = ctx.config();
    const auto* greeting = config.is_object() ? config.as_object().if_contains("greeting") : nullptr;
    std::string text = greeting && greeting->is_string() ? std::string(greeting->get_string()) : "Hello";
    text += ", " + std::string(name->get_string()) + "!";
    ctx.log().info("greeted", {{"name", *name}});
    return boost::json::object{{"message", text}};
  }
};

}  // namespace

WEFT_PLUGIN(hello, "1.0.0") {
  plugin.action<Greet>("greet");
}
