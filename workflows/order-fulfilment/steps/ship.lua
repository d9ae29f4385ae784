-- Hands the order to shipping and returns the tracking number.
return function(ctx, input)
  local tracking = string.format("TRK-%s-%d", input.order_id, input.qty)
  ctx.log.info("order shipped", { order_id = input.order_id, tracking = tracking })
  return { tracking = tracking }
end
