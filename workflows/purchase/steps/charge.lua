-- Records the charge in the payments ledger, in the step's transaction: the
-- charge exists exactly when this step is checkpointed as done.
return function(ctx, input)
  local reference = "ch-" .. ctx.idempotency_key
  ctx.db:exec("INSERT INTO payments (order_id, kind, amount, reference) VALUES ($1, 'charge', $2, $3)",
    input.order_id, input.amount, reference)
  return { reference = reference, amount = input.amount }
end
