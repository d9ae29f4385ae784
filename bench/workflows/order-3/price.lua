-- Step 2: pure Lua; the same arithmetic and ~200-byte output as the baseline's step 2.
return function(ctx, input)
  local extra = 0
  for i = 1, 20 do extra = extra + (input.sku * i) % 7 end
  return {
    order_id = input.order_id, sku = input.sku, qty = input.qty, amount = 9.99 + extra / 100,
    currency = "EUR", stock_left = input.left, channel = "bench",
    note = "priced with 20 rounds of arithmetic to stand in for real work",
  }
end
