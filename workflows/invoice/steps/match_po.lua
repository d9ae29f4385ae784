-- Three-way match, simplified: the PO exists, is the vendor's, and the amount
-- agrees within 1%.
return function(ctx, input)
  local po = ctx.db:query_one("SELECT vendor, sku, qty, amount FROM purchase_orders WHERE po_number = $1",
    input.po_number)
  if po == nil then weft.fail("unknown_po", "no purchase order " .. input.po_number) end
  if po.vendor ~= input.vendor then
    weft.fail("po_mismatch", input.po_number .. " belongs to " .. po.vendor)
  end
  if math.abs(po.amount - input.amount) > po.amount * 0.01 then
    weft.fail("po_mismatch", string.format("invoice amount %.2f does not match PO amount %.2f",
      input.amount, po.amount))
  end
  return { po_number = input.po_number, sku = po.sku, qty = po.qty }
end
