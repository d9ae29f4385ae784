-- Rejects invoices that cannot be processed at all.
return function(ctx, input)
  for _, field in ipairs({ "vendor", "number", "po_number" }) do
    if type(input[field]) ~= "string" or input[field] == "" then
      weft.fail("invalid_invoice", "the invoice has no " .. field)
    end
  end
  if type(input.amount) ~= "number" or input.amount <= 0 then
    weft.fail("invalid_invoice", "the invoice amount must be a positive number")
  end
  return { valid = true }
end
