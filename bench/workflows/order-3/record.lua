-- Step 3: one INSERT, in the host-owned transaction.
return function(ctx, input)
  ctx.db:exec("INSERT INTO bench.orders (order_id, sku, qty, amount) VALUES ($1, $2, $3, $4)",
    input.order_id, input.sku, input.qty, input.amount)
  return { order_id = input.order_id, status = "confirmed" }
end
