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
  local added = 0
  for _, item in ipairs(input.stock) do
    added = added + ctx.db:exec(
      "INSERT INTO inventory (sku, stock, price) VALUES ($1, $2, $3) ON CONFLICT (sku) DO NOTHING",
      item.sku, item.stock, item.price)
  end
  ctx.log.info("shop tables ready", { skus_added = added })
  return { skus_added = added }
end
