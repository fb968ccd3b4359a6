import { startPostgres } from './test/pg-fixture.ts';
import { generateDemoShop } from './src/demo/generate.ts';
import { openEngine } from './src/engine/engine.ts';
import { writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
const srv = await startPostgres({ skip() {} } as never);
const dir = mkdtempSync('/tmp/ux-'); chmodSync(dir, 0o755);
const shop = generateDemoShop({ dir, customers: 2000, seed: 3 });
chmodSync(dir + '/data', 0o755); for (const f of ['transactions','events','customers','coupons']) chmodSync(`${dir}/data/${f}.csv`, 0o644);
const e = await openEngine({ type: 'postgres', url: srv!.url });
await e.exec(`CREATE TABLE order_lines ("Invoice" text, "StockCode" text, "Description" text, "Quantity" int, "InvoiceDate" timestamp, "Price" float8, "Customer ID" text, "Country" text)`);
await e.exec(`COPY order_lines FROM '${shop.transactions}' WITH (FORMAT csv, HEADER true)`);
await e.exec(`CREATE TABLE events (customer_id text, event_time timestamp, event_type text, session_minutes float8)`);
await e.exec(`COPY events FROM '${shop.events}' WITH (FORMAT csv, HEADER true)`);
await e.close();
writeFileSync(dir + '/warehouse.yaml', `engine: postgres
sources:
  orders:
    table: order_lines
    roles: { customer: Customer ID, order: Invoice, time: InvoiceDate, quantity: Quantity, price: Price, product: StockCode, country: Country }
  events:
    kind: events
    table: events
    roles: { customer: customer_id, time: event_time, type: event_type, duration: session_minutes }
features: [recency_days, frequency, monetary, avg_order_value, sessions, avg_session_minutes]
cluster: { k: 4 }
`);
console.log(JSON.stringify({ url: srv!.url, dir }));
setInterval(() => {}, 1e9);
