-- Takes `qty` units of `sku` out of stock, in the step's transaction: the stock
-- change and the host's record of this step commit together.
return function(ctx, input)
  local item = ctx.db:query_one("SELECT stock, price FROM inventory WHERE sku = $1 FOR UPDATE", input.sku)
  if item == nil then
    weft.fail("unknown_sku", "no such SKU: " .. input.sku)
  end
  if item.stock < input.qty then
    weft.fail("insufficient_stock",
      string.format("%s has %d in stock, %d wanted", input.sku, item.stock, input.qty))
  end
  ctx.db:exec("UPDATE inventory SET stock = stock - $1 WHERE sku = $2", input.qty, input.sku)
  ctx.log.info("stock reserved", { sku = input.sku, qty = input.qty, left = item.stock - input.qty })
  return { price = item.price, left = item.stock - input.qty }
end
