-- Compensation for charge: a refund of the same amount (input is charge's own input).
return function(ctx, input)
  local reference = "rf-" .. ctx.idempotency_key
  ctx.db:exec("INSERT INTO payments (order_id, kind, amount, reference) VALUES ($1, 'refund', $2, $3)",
    input.order_id, input.amount, reference)
  ctx.log.warn("card refunded", { order_id = input.order_id, amount = input.amount })
  return { reference = reference }
end
