-- Records the confirmed order. The insert commits exactly once, with this step's checkpoint.
return function(ctx, input)
  ctx.db:exec([[
    INSERT INTO orders (order_id, sku, qty, amount, payment_id, status)
    VALUES ($1, $2, $3, $4, $5, 'confirmed')]],
    input.order_id, input.sku, input.qty, input.amount, input.payment_id)
  return { order_id = input.order_id, status = "confirmed" }
end
