-- The ordered goods arrived with the invoice: add them to stock.
return function(ctx, input)
  ctx.db:exec("UPDATE inventory SET stock = stock + $1 WHERE sku = $2", input.qty, input.sku)
  return { received = input.qty }
end
