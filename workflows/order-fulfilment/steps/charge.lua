-- A stand-in for a payment provider call. Such calls run at least once, so the
-- provider is given ctx.idempotency_key (stable for this execution and step)
-- to recognise a repeated request.
return function(ctx, input)
  if type(input.amount) ~= "number" or input.amount <= 0 then
    weft.fail("invalid_amount", "cannot charge " .. tostring(input.amount))
  end
  return {
    payment_id = "pay-" .. ctx.idempotency_key,
    amount = input.amount,
    charged_at = weft.now(),
  }
end
