// The `payments` example plugin: a card charge and its refund, recorded in the
// `payments` ledger (created by `weft start shop-setup`) inside the step's
// transaction, so a charge exists exactly when its step is checkpointed.
// Settings (`plugins: {payments: {max_amount: 1000}}`): charges above
// max_amount are declined (default 5000).
#include <weft/plugin.hpp>

#include <atomic>

namespace {

std::atomic<double> max_amount{5000.0};

double amount_of(const weft::Json& input) {
  const auto* amount = input.is_object() ? input.as_object().if_contains("amount") : nullptr;
  if (amount == nullptr || !amount->is_number() || amount->to_number<double>() <= 0)
    throw weft::Failure("invalid_input", "payments: `amount` must be a positive number");
  return amount->to_number<double>();
}

std::string order_of(const weft::Json& input) {
  const auto* order = input.as_object().if_contains("order_id");
  if (order == nullptr || !order->is_string()) throw weft::Failure("invalid_input", "payments: `order_id` is required");
  return std::string(order->get_string());
}

class Charge final : public weft::Action {
 public:
  weft::Json run(weft::Context& ctx, const weft::Json& input) override {
    const auto amount = amount_of(input);
    const auto order_id = order_of(input);
    if (amount > max_amount.load()) {
      throw weft::Failure("card_declined", "payments: a charge of " + std::to_string(amount) + " for " + order_id +
                                               " is above the limit");
    }
    // The idempotency key is the same on every attempt: one charge per step, whatever retries.
    const auto reference = "ch-" + ctx.idempotency_key();
    ctx.db().exec("INSERT INTO payments (order_id, kind, amount, reference) VALUES ($1, 'charge', $2, $3)", order_id,
                  amount, reference);
    ctx.log().info("card charged", {{"order_id", order_id}, {"amount", amount}});
    ctx.emit("payment.charged", boost::json::object{{"order_id", order_id}, {"amount", amount}});
    return boost::json::object{{"reference", reference}, {"amount", amount}};
  }
};

// Compensation for charge: its input is the charge's own input.
class Refund final : public weft::Action {
 public:
  weft::Json run(weft::Context& ctx, const weft::Json& input) override {
    const auto amount = amount_of(input);
    const auto order_id = order_of(input);
    const auto reference = "rf-" + ctx.idempotency_key();
    ctx.db().exec("INSERT INTO payments (order_id, kind, amount, reference) VALUES ($1, 'refund', $2, $3)", order_id,
                  amount, reference);
    ctx.log().warn("card refunded", {{"order_id", order_id}, {"amount", amount}});
    return boost::json::object{{"reference", reference}};
  }
};

}  // namespace

WEFT_PLUGIN(payments, "1.4.0") {
  plugin.action<Charge>("charge");
  plugin.action<Refund>("refund");
  plugin.on_init([](const weft::Json& config) {
    const auto* limit = config.is_object() ? config.as_object().if_contains("max_amount") : nullptr;
    if (limit == nullptr) return;
    if (!limit->is_number() || limit->to_number<double>() <= 0)
      throw weft::Failure("invalid_config", "payments: max_amount must be a positive number");
    max_amount = limit->to_number<double>();
  });
}
