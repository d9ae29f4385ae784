-- The confirmation to the vendor (logged here; a mail or HTTP plugin would send it).
return function(ctx, input)
  local message = string.format("Invoice %s approved (%s) and scheduled for payment.",
    input.invoice_id, input.approved_by)
  ctx.log.info("confirmation sent", { invoice_id = input.invoice_id })
  return { message = message }
end
