import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run("create table src_a as select 1 as x");
for (const q of ["select *, rowid + 1 AS __row FROM src_a", "select *, rowid + 1 AS __row FROM \"src_a\"", "create view v as select * from (select *, rowid + 1 as __row from src_a)", "select * from (select *, rowid + 1 as __row from src_a) l left join src_a r on l.x=r.x"]) {
try { const r = await con.runAndReadAll(q); console.log('ok', q, r.getRowObjectsJS()); } catch(e) { console.log('ERR', q, e.message.split('\n')[0]); }}
