-- Books the invoice: the invoice row and its ledger entry commit with this step.
return function(ctx, input)
  local invoice = input.invoice
  ctx.db:exec([[INSERT INTO invoices (invoice_id, vendor, number, po_number, amount, status)
                VALUES ($1, $2, $3, $4, $5, 'posted')]],
    invoice.invoice_id, invoice.vendor, invoice.number, invoice.po_number, invoice.amount)
  ctx.db:exec("INSERT INTO ledger (invoice_id, account, amount) VALUES ($1, 'accounts_payable', $2)",
    invoice.invoice_id, invoice.amount)
  return { posted = invoice.invoice_id }
end
