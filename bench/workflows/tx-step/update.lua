return function(ctx, input)
  local row = ctx.db:query_one("UPDATE bench.inventory SET stock = stock - 1 WHERE sku = $1 RETURNING stock", input.sku)
  return { left = row.stock }
end
