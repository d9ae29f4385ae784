-- Creates the order; a coupon that is unknown or expired fails it for good,
-- which makes the saga refund the card and release the stock.
return function(ctx, input)
  local amount = input.amount
  if input.coupon ~= nil and input.coupon ~= weft.null then
    local coupon = ctx.db:query_one(
      "SELECT percent_off, expires < current_date AS expired FROM coupons WHERE code = $1", input.coupon)
    if coupon == nil then weft.fail("unknown_coupon", "no coupon " .. input.coupon) end
    if coupon.expired then weft.fail("coupon_expired", "coupon " .. input.coupon .. " has expired") end
    amount = amount * (100 - coupon.percent_off) / 100
  end
  ctx.db:exec([[
    INSERT INTO orders (order_id, sku, qty, amount, payment_id, status)
    VALUES ($1, $2, $3, $4, $5, 'confirmed')]],
    input.order_id, input.sku, input.qty, amount, input.payment)
  return { order_id = input.order_id, amount = amount }
end
