-- Compensation for receive_stock.
return function(ctx, input)
  ctx.db:exec("UPDATE inventory SET stock = stock - $1 WHERE sku = $2", input.qty, input.sku)
  return { returned = input.qty }
end
