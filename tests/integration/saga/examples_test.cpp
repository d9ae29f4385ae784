// The purchase saga and the invoice process shipped in workflows/ do what they say.
#include "../host/host_fixture.hpp"

#include <pqxx/pqxx>

#include <fstream>
#include <sstream>
#include <thread>

using weft::test::HostFixture;
using weft::test::step_of;

namespace {

std::string example(const std::string& name) {
  std::ifstream file(std::string(WEFT_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Shop {
  HostFixture fx;
  std::string workflows = std::string(WEFT_SOURCE_DIR) + "/workflows";
  std::unique_ptr<weft::test::HostProcess> host;

  Shop() {
    host = std::make_unique<weft::test::HostProcess>(
        std::vector<std::string>{"serve", "--workflows", workflows, "--db", fx.url()},
        fx.dir().path() / "shop-host.log");
    const auto setup = fx.weft({"start", "shop-setup", "--workflows", workflows});
    REQUIRE(setup.exit_code == 0);
    REQUIRE(fx.finished(setup.out.substr(0, 36)).summary.status == "completed");
  }

  weft::store::ExecutionDetail run_event(const std::string& file) {
    const auto emitted = fx.weft({"emit"}, example(file));
    REQUIRE(emitted.exit_code == 0);
    const auto executions = fx.executions_of_trace(weft::test::trace_of_emit(emitted.out), 1);
    REQUIRE(executions.size() == 1);
    return fx.finished(executions[0].id);
  }

  pqxx::row one(const std::string& sql) {
    pqxx::connection db(fx.url());
    pqxx::nontransaction txn(db);
    return txn.exec1(sql);
  }
};

}  // namespace

TEST_CASE("the purchase saga completes, or refunds and releases when the order fails", "[examples][saga][pg]") {
  Shop shop;
  const auto good = shop.run_event("purchase-requested.json");
  CHECK(good.summary.status == "completed");
  CHECK(good.output.at("amount").as_double() == Approx(33.75));  // 3 x 12.50, 10% off
  CHECK(shop.one("SELECT stock FROM inventory WHERE sku = 'SKU-1'")[0].as<int>() == 497);

  const auto expired = shop.run_event("purchase-expired-coupon.json");
  CHECK(expired.summary.status == "compensated");
  CHECK(expired.error.at("code").as_string() == "coupon_expired");
  CHECK(step_of(expired, "charge").state.status == "compensated");
  CHECK(step_of(expired, "reserve").state.status == "compensated");
  // The refund came before the release: reverse order of completion.
  REQUIRE(expired.compensations.size() == 2);
  CHECK(expired.compensations[0].state.step_id == "charge");
  CHECK(expired.compensations[1].state.step_id == "reserve");
  CHECK(shop.one("SELECT count(*) FROM payments WHERE order_id = 'p-2' AND kind = 'charge'")[0].as<int>() == 1);
  CHECK(shop.one("SELECT count(*) FROM payments WHERE order_id = 'p-2' AND kind = 'refund'")[0].as<int>() == 1);
  CHECK(shop.one("SELECT stock FROM inventory WHERE sku = 'SKU-2'")[0].as<int>() == 40);
  CHECK(shop.one("SELECT count(*) FROM orders WHERE order_id = 'p-2'")[0].as<int>() == 0);
}

TEST_CASE("the invoice process waits for approval above 1000 and rejects duplicates", "[examples][wait][pg]") {
  Shop shop;
  const auto emitted = shop.fx.weft({"emit"}, example("invoice-received.json"));
  REQUIRE(emitted.exit_code == 0);
  const auto executions = shop.fx.executions_of_trace(weft::test::trace_of_emit(emitted.out), 1);
  REQUIRE(executions.size() == 1);
  const auto id = executions[0].id;
  REQUIRE(weft::test::eventually([&] { return shop.fx.store().get_execution(id)->summary.status == "waiting"; }));
  REQUIRE(shop.fx.weft({"signal", id, "approve", "--data", R"({"by":"cfo"})"}).exit_code == 0);
  const auto done = shop.fx.finished(id);
  CHECK(done.summary.status == "completed");
  CHECK(std::string(done.output.at("message").as_string()).find("approved (cfo)") != std::string::npos);
  CHECK(shop.one("SELECT sum(amount) FROM ledger WHERE invoice_id = 'acme/7731'")[0].as<double>() == Approx(1200.0));
  CHECK(shop.one("SELECT stock FROM inventory WHERE sku = 'SKU-2'")[0].as<int>() == 50);

  // The same vendor invoice again under a new event id: the execution key
  // (vendor/number) already holds it, so nothing runs twice.
  auto again = example("invoice-received.json");
  again.replace(again.find("inv-7731"), 8, "inv-7732");
  REQUIRE(shop.fx.weft({"emit"}, again).exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(shop.fx.store().list_executions({"invoice", std::nullopt, 10}).size() == 1);

  // A small invoice for another PO goes straight through, no approval needed.
  const auto small = shop.fx.weft({"emit", "--type", "invoice.received", "--data",
                                   R"({"vendor":"acme","number":"7740","po_number":"PO-1002","amount":250})"});
  const auto small_runs = shop.fx.executions_of_trace(weft::test::trace_of_emit(small.out), 1);
  REQUIRE(small_runs.size() == 1);
  const auto small_done = shop.fx.finished(small_runs[0].id);
  CHECK(small_done.summary.status == "completed");
  CHECK(step_of(small_done, "approval").state.status == "skipped");

  // A mismatching amount fails at match_po: nothing was posted, so nothing to undo -> dead letter.
  const auto wrong = shop.fx.weft({"emit", "--type", "invoice.received", "--data",
                                   R"({"vendor":"acme","number":"7741","po_number":"PO-1002","amount":999})"});
  const auto wrong_runs = shop.fx.executions_of_trace(weft::test::trace_of_emit(wrong.out), 1);
  REQUIRE(wrong_runs.size() == 1);
  const auto wrong_done = shop.fx.finished(wrong_runs[0].id);
  CHECK(wrong_done.summary.status == "failed");
  CHECK(wrong_done.error.at("code").as_string() == "po_mismatch");
  const auto dlq = shop.fx.weft({"dlq", "list"});
  CHECK(dlq.out.find(wrong_runs[0].id) != std::string::npos);
}
