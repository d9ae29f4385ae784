-- The same vendor invoice number must not be paid twice.
return function(ctx, input)
  local existing = ctx.db:query_one("SELECT status FROM invoices WHERE vendor = $1 AND number = $2",
    input.vendor, input.number)
  if existing ~= nil then
    weft.fail("duplicate_invoice", string.format("invoice %s from %s was already %s",
      input.number, input.vendor, existing.status))
  end
  return { duplicate = false }
end
