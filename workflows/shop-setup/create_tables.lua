-- Idempotent: safe to run again; existing stock levels are kept.
return function(ctx, input)
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS inventory (
      sku    text PRIMARY KEY,
      stock  integer NOT NULL CHECK (stock >= 0),
      price  numeric(12, 2) NOT NULL
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS orders (
      order_id    text PRIMARY KEY,
      sku         text NOT NULL REFERENCES inventory,
      qty         integer NOT NULL,
      amount      numeric(12, 2) NOT NULL,
      payment_id  text NOT NULL,
      status      text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS payments (
      id         bigserial PRIMARY KEY,
      order_id   text NOT NULL,
      kind       text NOT NULL CHECK (kind IN ('charge', 'refund')),
      amount     numeric(12, 2) NOT NULL,
      reference  text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now()
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS coupons (
      code        text PRIMARY KEY,
      percent_off integer NOT NULL,
      expires     date NOT NULL
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS purchase_orders (
      po_number text PRIMARY KEY,
      vendor    text NOT NULL,
      sku       text NOT NULL REFERENCES inventory,
      qty       integer NOT NULL,
      amount    numeric(12, 2) NOT NULL
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS invoices (
      invoice_id text PRIMARY KEY,
      vendor     text NOT NULL,
      number     text NOT NULL,
      po_number  text NOT NULL REFERENCES purchase_orders,
      amount     numeric(12, 2) NOT NULL,
      status     text NOT NULL,
      UNIQUE (vendor, number)
    )]])
  ctx.db:exec([[
    CREATE TABLE IF NOT EXISTS ledger (
      id         bigserial PRIMARY KEY,
      invoice_id text NOT NULL,
      account    text NOT NULL,
      amount     numeric(12, 2) NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )]])
  for _, coupon in ipairs(input.coupons) do
    ctx.db:exec("INSERT INTO coupons (code, percent_off, expires) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      coupon.code, coupon.percent_off, coupon.expires)
  end
  local added = 0
  for _, item in ipairs(input.stock) do
    added = added + ctx.db:exec(
      "INSERT INTO inventory (sku, stock, price) VALUES ($1, $2, $3) ON CONFLICT (sku) DO NOTHING",
      item.sku, item.stock, item.price)
  end
  for _, po in ipairs(input.purchase_orders) do
    ctx.db:exec([[INSERT INTO purchase_orders (po_number, vendor, sku, qty, amount)
                  VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING]],
      po.po_number, po.vendor, po.sku, po.qty, po.amount)
  end
  ctx.log.info("shop tables ready", { skus_added = added })
  return { skus_added = added }
end
