-- Step 1: one UPDATE of one inventory row, in the host-owned transaction.
return function(ctx, input)
  local row = ctx.db:query_one(
    "UPDATE bench.inventory SET stock = stock - $1 WHERE sku = $2 RETURNING stock", input.qty, input.sku)
  if row == nil then weft.fail("unknown_sku", "no SKU " .. tostring(input.sku)) end
  return { left = row.stock }
end
