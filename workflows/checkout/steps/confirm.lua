-- The checkout's last step: what a confirmation e-mail would say.
return function(ctx, input)
  ctx.log.info("checkout confirmed", { order_id = input.order_id, payment = input.payment })
  return { order_id = input.order_id, payment = input.payment, confirmed = true }
end
