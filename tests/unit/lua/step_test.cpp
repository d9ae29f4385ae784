#include "lua_test_support.hpp"

using namespace weft;
using namespace weft::lua;
using namespace weft::lua::test;

TEST_CASE("a step returns its output, nil becomes null", "[lua][step]") {
  Vm vm;
  const auto outcome = run(vm, "return function(ctx, input) return {sum = input.a + input.b} end",
                           json(R"({"a":2,"b":3})"));
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"({"sum":5})"));
  const auto nothing = run_body(vm, "local x = 1");
  REQUIRE(nothing.ok());
  CHECK(nothing.output().is_null());
}

namespace {

/// What a step's ctx reads beside its identity: the event, the execution's input, the steps.
struct CtxSources {
  Json event = json(R"({"type":"crud","data":{"order_id":"o-1"}})");
  Json execution_input = json(R"({"sku":"SKU-1","qty":2})");
  Json steps = json(R"({"reserve":{"output":{"price":5},"status":"completed"}})");

  StepCall call(const char* source, const char* chunk_name) const {
    StepCall call;
    call.script_source = source;
    call.chunk_name = chunk_name;
    call.identity.execution_id = "e-1";
    call.event = &event;
    call.execution_input = &execution_input;
    call.steps = &steps;
    return call;
  }
};

}  // namespace

TEST_CASE("ctx carries every documented field", "[lua][step]") {
  Vm vm;
  const CtxSources sources;
  const Json input = json(R"({"amount":10})");
  StepCall call = sources.call(R"(
    return function(ctx, input)
      return {ctx.execution_id, ctx.workflow, ctx.version, ctx.step, ctx.attempt, ctx.trace_id,
              ctx.idempotency_key, ctx.event.data.order_id, ctx.input.qty,
              ctx.steps.reserve.output.price, input.amount, type(ctx.log.info), ctx.db == nil}
    end)",
                               "orders/steps/charge.lua");
  call.input = &input;
  call.identity.workflow = "orders";
  call.identity.version = "3";
  call.identity.step = "charge";
  call.identity.attempt = 2;
  call.identity.trace_id = "0af7651916cd43dd8448eb211c80319c";
  call.identity.idempotency_key = "e-1/charge";
  const auto outcome = vm.run_step(call);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"(["e-1","orders","3","charge",2,"0af7651916cd43dd8448eb211c80319c",
                                    "e-1/charge","o-1",2,5,10,"function",true])"));
}

TEST_CASE("ctx.event, ctx.input and ctx.steps become tables when first read, during their step only",
          "[lua][step]") {
  Vm vm;
  const CtxSources sources;
  const StepCall call = sources.call(R"(
    return function(ctx)
      if kept then
        if kept.execution_id ~= "e-1" then return "plain fields lost" end
        return kept.steps
      end
      kept = ctx
      local first = ctx.event
      ctx.input.qty = 9  -- converted once: the change stays for the rest of the step
      return {first == ctx.event, ctx.input.qty, ctx.lock == nil, ctx.nothing == nil, ctx[1] == nil}
    end)",
                                     "lazy.lua");
  const auto outcome = vm.run_step(call);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json("[true,9,true,true,true]"));
  CHECK(sources.execution_input == json(R"({"sku":"SKU-1","qty":2})"));  // the host's copy is untouched

  // A ctx kept past its step keeps its plain fields; the converted ones are refused.
  const auto later = vm.run_step(call);
  REQUIRE_FALSE(later.ok());
  CHECK(later.error().message.find("ctx.steps: only usable during the step that received ctx") !=
        std::string::npos);
}

TEST_CASE("weft.fail is a non-retryable failure with its code", "[lua][step]") {
  Vm vm;
  const auto outcome = run_body(vm, "weft.fail('insufficient_stock', 'only 1 left', {left = 1})\nreturn 'unreached'");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "insufficient_stock");
  CHECK(outcome.error().message == "only 1 left");
  CHECK_FALSE(outcome.error().retryable);
  CHECK(outcome.error().details == json(R"({"left":1})"));

  const auto code_only = run_body(vm, "weft.fail('rejected')");
  REQUIRE_FALSE(code_only.ok());
  CHECK(code_only.error().code == "rejected");
  CHECK_FALSE(code_only.error().retryable);

  CHECK(run_body(vm, "weft.fail('')").error().code == "error");

  const auto caught = run_body(vm, "local ok, e = pcall(weft.fail, 'x', 'y') return {ok, tostring(e), e.code}");
  REQUIRE(caught.ok());
  CHECK(caught.output() == json(R"([false,"x: y","x"])"));
}

TEST_CASE("an error table is retryable with its code", "[lua][step]") {
  Vm vm;
  const auto outcome = run_body(vm, "error({code = 'upstream_busy', message = 'try later'})");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "upstream_busy");
  CHECK(outcome.error().message == "try later");
  CHECK(outcome.error().retryable);

  const auto final = run_body(vm, "error({code = 'gone', message = 'no', retryable = false})");
  CHECK(final.error().code == "gone");
  CHECK_FALSE(final.error().retryable);

  const auto no_code = run_body(vm, "error({reason = 'x'})");
  CHECK(no_code.error().code == "error");
  CHECK(no_code.error().message == R"(error object {"reason":"x"})");
}

TEST_CASE("a plain error has code error, its location and a traceback", "[lua][step]") {
  Vm vm;
  const auto outcome = run(vm, "return function(ctx, input)\n  error('boom')\nend");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "error");
  CHECK(outcome.error().retryable);
  CHECK(outcome.error().message == "wf/steps/test.lua:2: boom");
  REQUIRE(outcome.error().details.is_object());
  const auto traceback = std::string(outcome.error().details.at("traceback").as_string());
  CHECK(traceback.find("stack traceback:") != std::string::npos);
  CHECK(traceback.find("wf/steps/test.lua:2") != std::string::npos);

  const auto runtime = run(vm, "return function(ctx, input)\n  local order = nil\n  return order.id\nend");
  REQUIRE_FALSE(runtime.ok());
  CHECK(runtime.error().code == "error");
  CHECK(runtime.error().message == "wf/steps/test.lua:3: attempt to index local 'order' (a nil value)");

  const auto number = run_body(vm, "error(42)");
  CHECK(number.error().message == "wf/steps/test.lua:2: 42");
  CHECK(run_body(vm, "error()").error().message == "error object is a nil value");
  CHECK(vm.stack_depth_for_test() == 0);
}

TEST_CASE("a script that does not return a function is invalid", "[lua][step]") {
  Vm vm;
  const auto number = run(vm, "return 42");
  REQUIRE_FALSE(number.ok());
  CHECK(number.error().code == "invalid_script");
  CHECK_FALSE(number.error().retryable);
  CHECK(number.error().message == "wf/steps/test.lua must return a function(ctx, input), not a number value");

  const auto syntax = run(vm, "return function(ctx)\n  local = 1\nend");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.error().code == "invalid_script");
  CHECK(syntax.error().message.rfind("wf/steps/test.lua:2:", 0) == 0);

  const auto top_level = run(vm, "error('at load')");
  REQUIRE_FALSE(top_level.ok());
  CHECK(top_level.error().code == "error");
  CHECK(vm.stack_depth_for_test() == 0);
}

TEST_CASE("an output without JSON form is invalid_output", "[lua][step]") {
  Vm vm;
  for (const char* body : {"return print", "return {f = print}", "return 0/0", "return 1/0",
                           "local t = {} t.self = t return t", "return {[true] = 1}",
                           "return coroutine.create(print)", "return string"}) {
    INFO(body);
    const auto outcome = run_body(vm, body);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == "invalid_output");
    CHECK_FALSE(outcome.error().retryable);
  }
  CHECK(run_body(vm, "return print").error().message.find("cannot convert function to JSON") != std::string::npos);
  CHECK(vm.stack_depth_for_test() == 0);
}

TEST_CASE("compiled scripts are cached per source and chunk name", "[lua][step]") {
  Vm vm;
  const char* source = "local loads = (loads or 0) + 1\nreturn function() return loads end";
  CHECK(run(vm, source).output() == 1);
  CHECK(run(vm, source).output() == 1);  // the chunk ran once
  StepCall call;
  call.script_source = source;
  call.chunk_name = "other.lua";
  CHECK(vm.run_step(call).output() == 1);
  const auto changed = run(vm, "return function() return 'v2' end");
  CHECK(changed.output() == "v2");
}

TEST_CASE("weft.json, weft.null, weft.now", "[lua][step]") {
  Vm vm;
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const auto outcome = run_body(vm, R"(
    local decoded = weft.json.decode('{"a":[1,2,{}],"b":null,"c":[]}')
    return {
      text = weft.json.encode(decoded),
      null_is_null = decoded.b == weft.null,
      now = weft.now(),
      bad = select(2, pcall(weft.json.decode, '{"a":')),
      unencodable = select(2, pcall(weft.json.encode, {print})),
    })");
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  REQUIRE(outcome.ok());
  const auto& output = outcome.output();
  CHECK(output.at("text") == R"({"a":[1,2,{}],"b":null,"c":[]})");
  CHECK(output.at("null_is_null") == true);
  REQUIRE(output.at("now").is_int64());
  CHECK(output.at("now").as_int64() >= before);
  CHECK(output.at("now").as_int64() <= after);
  CHECK(std::string(output.at("bad").as_string()).find("weft.json.decode: invalid JSON") != std::string::npos);
  CHECK(std::string(output.at("unencodable").as_string()).find("cannot convert function to JSON") != std::string::npos);
}

TEST_CASE("the VM stays balanced and usable after every kind of failure", "[lua][step]") {
  Vm vm(VmOptions{{}, 8u << 20});
  const char* bodies[] = {"error('x')", "weft.fail('c', 'm')", "error({code = 'c'})", "return print",
                          "local t = {} repeat t[#t + 1] = {} until false",
                          "return #string.rep('x', 1e12)"};
  for (int round = 0; round < 3; ++round) {
    for (const char* body : bodies) {
      CHECK_FALSE(run_body(vm, body).ok());
      CHECK(vm.stack_depth_for_test() == 0);
    }
    CHECK_FALSE(run(vm, "return 1").ok());
    CHECK_FALSE(run(vm, "while true do end", nullptr, in(std::chrono::milliseconds(20))).ok());
    CHECK(vm.stack_depth_for_test() == 0);
  }
  CHECK(run_body(vm, "return 'ok'").output() == "ok");
}

namespace {

class FakeDatabase final : public Database {
 public:
  Json query(std::string_view sql, const std::vector<Json>& params) override {
    statements.push_back(std::string(sql));
    last_params = params;
    if (sql.find("FAIL") != std::string_view::npos)
      throw DatabaseError(StepError{"constraint_violation", "duplicate key", false,
                                    JsonObject{{"sqlstate", "23505"}}});
    if (sql.find("NONE") != std::string_view::npos) return JsonArray{};
    return json(R"([{"stock":5,"price":2.5},{"stock":1,"price":null}])");
  }
  std::int64_t exec(std::string_view sql, const std::vector<Json>& params) override {
    statements.push_back(std::string(sql));
    last_params = params;
    return 3;
  }
  std::string begin_savepoint() override {
    statements.push_back("SAVEPOINT sp" + std::to_string(++savepoints));
    return "sp" + std::to_string(savepoints);
  }
  void release_savepoint(const std::string& name) override { statements.push_back("RELEASE " + name); }
  void rollback_to_savepoint(const std::string& name) override { statements.push_back("ROLLBACK TO " + name); }
  std::vector<std::string> statements;
  std::vector<Json> last_params;
  int savepoints = 0;
};

StepOutcome run_with_db(Vm& vm, std::string_view source, Database* db) {
  StepCall call;
  call.script_source = source;
  call.chunk_name = "db.lua";
  call.db = db;
  return vm.run_step(call);
}

}  // namespace

TEST_CASE("ctx.db runs bound statements on the step's database", "[lua][step]") {
  Vm vm;
  FakeDatabase db;
  const auto outcome = run_with_db(vm, R"(
    return function(ctx)
      local rows = ctx.db:query("SELECT stock, price FROM inventory")
      local one = ctx.db:query_one("SELECT stock FROM inventory WHERE sku = $1", "SKU-1")
      local none = ctx.db:query_one("SELECT NONE")
      local affected = ctx.db:exec("UPDATE inventory SET stock = stock - $1 WHERE sku = $2", 2, "SKU-1")
      return {#rows, rows[2].price == weft.null, one.stock, none == nil, affected}
    end)", &db);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json("[2,true,5,true,3]"));
  REQUIRE(db.statements.size() == 4);
  CHECK(db.last_params == std::vector<Json>{Json(2), Json("SKU-1")});

  const auto failed = run_with_db(vm, "return function(ctx) ctx.db:exec('x') ctx.db:query('FAIL') end", &db);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "constraint_violation");
  CHECK_FALSE(failed.error().retryable);
  CHECK(failed.error().details == json(R"({"sqlstate":"23505"})"));

  CHECK_FALSE(run_with_db(vm, "return function(ctx) return ctx.db.query('x') end", &db).ok());
  CHECK(run_with_db(vm, "return function(ctx) return ctx.db == nil end", nullptr).output() == true);
}

TEST_CASE("a ctx.db kept past its step is refused", "[lua][step]") {
  Vm vm;
  FakeDatabase db;
  const char* source = R"(
    return function(ctx)
      if ctx.db then kept = ctx.db return "kept" end
      return kept:exec("DELETE FROM t")
    end)";
  CHECK(run_with_db(vm, source, &db).output() == "kept");
  const auto later = run_with_db(vm, source, nullptr);
  REQUIRE_FALSE(later.ok());
  CHECK(later.error().message.find("only usable during the step") != std::string::npos);
  CHECK(db.statements.empty());
}

TEST_CASE("ctx.db:savepoint releases on success, rolls back and returns the error on failure", "[lua][step]") {
  Vm vm;
  FakeDatabase db;
  const auto outcome = run_with_db(vm, R"(
    return function(ctx)
      local ok, value = ctx.db:savepoint(function() return ctx.db:exec("UPDATE a") end)
      local failed, err = ctx.db:savepoint(function() ctx.db:query("FAIL") end)
      return { ok, value, failed, err.code }
    end)", &db);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == json(R"([true,3,false,"constraint_violation"])"));
  CHECK(db.statements == std::vector<std::string>{"SAVEPOINT sp1", "UPDATE a", "RELEASE sp1", "SAVEPOINT sp2",
                                                  "FAIL", "ROLLBACK TO sp2"});
}

TEST_CASE("a timeout inside ctx.db:savepoint is not swallowed", "[lua][step]") {
  Vm vm;
  FakeDatabase db;
  StepCall call;
  call.script_source = R"(
    return function(ctx)
      local ok = ctx.db:savepoint(function() while true do end end)
      return "swallowed"
    end)";
  call.chunk_name = "db.lua";
  call.db = &db;
  call.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  const auto outcome = vm.run_step(call);
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().code == "timeout");
  CHECK(db.statements == std::vector<std::string>{"SAVEPOINT sp1", "ROLLBACK TO sp1"});
}

TEST_CASE("ctx.emit queues events only while its step runs, and ctx.lock shows the grant", "[lua][step]") {
  Vm vm;
  std::vector<Json> outbox;
  const Json lock = json(R"({"key":"inventory:SKU-1","token":42})");
  StepCall call;
  call.script_source = R"(
    return function(ctx)
      ctx.emit("order.packed", { n = 1 })
      ctx.emit("order.noted")
      kept_emit = ctx.emit
      return ctx.lock.token
    end)";
  call.chunk_name = "emit.lua";
  call.outbox = &outbox;
  call.lock = &lock;
  const auto outcome = vm.run_step(call);
  REQUIRE(outcome.ok());
  CHECK(outcome.output() == Json(42));
  CHECK(outbox == std::vector<Json>{json(R"({"type":"order.packed","data":{"n":1}})"),
                                    json(R"({"type":"order.noted","data":{}})")});
  CHECK_FALSE(run_with_db(vm, "return function(ctx) ctx.emit('') end", nullptr).ok());

  // An emitter kept past its step is refused (same script, so the same globals).
  const char* keeper = R"(
    return function(ctx)
      if not kept then kept = ctx.emit return "kept" end
      kept("x")
    end)";
  StepCall first;
  first.script_source = keeper;
  first.chunk_name = "keeper.lua";
  first.outbox = &outbox;
  CHECK(vm.run_step(first).output() == "kept");
  StepCall second = first;
  second.outbox = nullptr;
  const auto late = vm.run_step(second);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().message.find("only usable during the step") != std::string::npos);
  CHECK(outbox.size() == 2);
}
