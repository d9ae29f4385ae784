-- Compensation for post: a reversing ledger entry; the invoice is voided, not deleted.
return function(ctx, input)
  local invoice = input.invoice
  ctx.db:exec("INSERT INTO ledger (invoice_id, account, amount) VALUES ($1, 'accounts_payable', $2)",
    invoice.invoice_id, -invoice.amount)
  ctx.db:exec("UPDATE invoices SET status = 'void' WHERE invoice_id = $1", invoice.invoice_id)
  return { reversed = invoice.invoice_id }
end
