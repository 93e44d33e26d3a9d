'use strict';
// Prepared-statement workload for node-postgres (npm "pg", tests/integration/clients/package.json),
// used by tests/integration/prepared_statements_drivers.sh.
//
//   node ps_node.js HOST PORT USER PASSWORD WORKERS ITERATIONS [TAG]
//
// WORKERS clients (one connection each, all running at once) run ITERATIONS rounds of named
// queries ({name, text, values}: node-postgres sends Parse once per connection and later only
// Bind/Execute, so the pooler must prepare them on every server the client lands on): lookups with
// int/bigint/bool/text/float8 parameters and numeric/date/array/multi-row results, a query whose
// name and text are unique to the worker, pg_backend_pid(), an insert, a transaction of several
// named statements, and every 4th round a transaction that fails (division by zero) and is rolled
// back. Each worker commits 3 rows per round into events (driver TAG, default "node"; seq i,
// 100000+i, 300000+i); rolled-back rows (200000+i) must never appear.
//
// Prints "pids P1,P2,..." (every backend seen), "max_pids_per_worker N" and "OK"; exits 1 with the
// errors otherwise.

const { Client, types } = require('pg');

types.setTypeParser(1082, (v) => v); // date as 'YYYY-MM-DD', whatever the time zone

const [host, port, user, password, workersArg, itersArg, tag] = process.argv.slice(2);
const workers = Number(workersArg);
const iters = Number(itersArg);
const DRIVER = tag || 'node';

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

function isoDate(days) {
  const d = new Date(Date.UTC(2024, 0, 1) + days * 86400000);
  return d.toISOString().slice(0, 10);
}

const Q = {
  item: 'SELECT id, name, price, tags, born FROM items WHERE id = $1',
  agg: 'SELECT count(*), sum(id) FROM items WHERE id BETWEEN $1 AND $2',
  types: "SELECT $1::bigint * 2 AS b, NOT $2::boolean AS t, $3::text || '!' AS s, $4::float8 / 2 AS f",
  rows: 'SELECT id, name FROM items WHERE id <= $1 ORDER BY id',
  pid: 'SELECT pg_backend_pid() AS pid',
  insert: 'INSERT INTO events (driver, worker, seq, note, amount) VALUES ($1, $2, $3, $4, $5)',
  counter: 'UPDATE counters SET n = n + 1 WHERE driver = $1 AND worker = $2 RETURNING n',
  count: 'SELECT count(*)::int AS n FROM events WHERE driver = $1 AND worker = $2',
  rolledBack: 'SELECT count(*)::int AS n FROM events WHERE driver = $1 AND worker = $2 AND seq >= 200000 AND seq < 300000',
  div: 'SELECT 1 / $1::int',
};

// q(client, key, values): a named query; the statement name is the key.
function q(client, key, values) {
  return client.query({ name: `${DRIVER}_${key}`, text: Q[key], values });
}

async function round(client, w, i, seen) {
  // 1. int parameter; numeric, text[], date results.
  const item = ((w * 7 + i) % 100) + 1;
  let r = await q(client, 'item', [item]);
  check(r.rows.length === 1, `item ${item}: ${r.rows.length} rows`);
  const it = r.rows[0];
  check(it.id === item && it.name === `item-${item}`, `item ${JSON.stringify(it)}`);
  check(it.price === (item * 1.5).toFixed(2), `item price ${it.price}`);
  check(JSON.stringify(it.tags) === JSON.stringify([`t${item % 3}`, 'all']), `item tags ${JSON.stringify(it.tags)}`);
  check(it.born === isoDate(item), `item born ${it.born}`);
  // 2. two int parameters; bigint aggregate (a string in node-postgres).
  const lo = (i % 50) + 1;
  r = await q(client, 'agg', [lo, lo + 9]);
  check(r.rows[0].count === '10' && r.rows[0].sum === String(10 * lo + 45), `aggregate ${JSON.stringify(r.rows[0])}`);
  // 3. bigint, bool, text, float8 parameters.
  r = await q(client, 'types', [String(BigInt(i) * 10000000000n), i % 2 === 0, `w${w}`, i + 0.5]);
  const t = r.rows[0];
  check(t.b === String(BigInt(i) * 20000000000n) && t.t === (i % 2 !== 0) && t.s === `w${w}!` && t.f === (i + 0.5) / 2,
    `types ${JSON.stringify(t)}`);
  // 4. several rows.
  r = await q(client, 'rows', [(i % 20) + 1]);
  check(r.rows.length === (i % 20) + 1 && r.rows.every((row, k) => row.id === k + 1 && row.name === `item-${k + 1}`),
    `rows <= ${(i % 20) + 1}: ${r.rows.length} rows`);
  // 5. a statement only this worker prepares (its own name and text).
  r = await client.query({ name: `${DRIVER}_unique_w${w}`, text: `SELECT $1::int + ${w} AS v, '${DRIVER}-w${w}' AS tag`, values: [i] });
  check(r.rows[0].v === i + w && r.rows[0].tag === `${DRIVER}-w${w}`, `worker-unique ${JSON.stringify(r.rows[0])}`);
  // 6. which backend.
  seen.add((await q(client, 'pid', [])).rows[0].pid);
  // 7. insert outside a transaction.
  r = await q(client, 'insert', [DRIVER, w, i, 'plain', (i / 4).toFixed(2)]);
  check(r.rowCount === 1, 'plain insert');
  // 8. a transaction of several named statements, pinned to one backend.
  await client.query('BEGIN');
  const p1 = (await q(client, 'pid', [])).rows[0].pid;
  check((await q(client, 'insert', [DRIVER, w, 100000 + i, 'tx', (i / 4).toFixed(2)])).rowCount === 1, 'tx insert');
  check((await q(client, 'insert', [DRIVER, w, 300000 + i, 'tx2', String(i)])).rowCount === 1, 'tx insert 2');
  r = await q(client, 'counter', [DRIVER, w]);
  check(r.rows[0].n === i + 1, `counter ${r.rows[0].n}, want ${i + 1}`);
  r = await q(client, 'count', [DRIVER, w]);
  check(r.rows[0].n === 3 * i + 3, `events in tx ${r.rows[0].n}, want ${3 * i + 3}`);
  const p2 = (await q(client, 'pid', [])).rows[0].pid;
  check(p1 === p2, `transaction moved from backend ${p1} to ${p2}`);
  await client.query('COMMIT');
  seen.add(p1);
  // 9. an error inside a transaction, then rollback.
  if (i % 4 === 3) {
    await client.query('BEGIN');
    await q(client, 'insert', [DRIVER, w, 200000 + i, 'rolled back', '0']);
    let failed = false;
    try {
      await q(client, 'div', [0]);
    } catch (e) {
      check(e.code === '22012', `expected division_by_zero, got ${e.code}: ${e.message}`);
      failed = true;
    }
    check(failed, 'division by zero did not fail');
    await client.query('ROLLBACK');
    r = await q(client, 'rolledBack', [DRIVER, w]);
    check(r.rows[0].n === 0, `${r.rows[0].n} rolled-back rows are visible`);
  }
}

async function worker(w, pids, errors) {
  const client = new Client({ host, port: Number(port), user, password, database: 'app', connectionTimeoutMillis: 10000 });
  const seen = new Set();
  try {
    await client.connect();
  } catch (e) {
    errors.push(`worker ${w}: connect: ${e.message}`);
    return;
  }
  try {
    await client.query({ name: `${DRIVER}_counter_init`, text: 'INSERT INTO counters (driver, worker, n) VALUES ($1, $2, 0)', values: [DRIVER, w] });
    for (let i = 0; i < iters; i++) await round(client, w, i, seen);
    const r = await q(client, 'item', [42]);
    check(r.rows[0].name === 'item-42', 'final lookup');
    const c = (await q(client, 'count', [DRIVER, w])).rows[0].n;
    check(c === 3 * iters, `worker ${w} sees ${c} events, want ${3 * iters}`);
  } catch (e) {
    errors.push(`worker ${w}: ${e.code ? `[${e.code}] ` : ''}${e.message}`);
  } finally {
    pids.set(w, seen);
    await client.end().catch(() => {});
  }
}

async function main() {
  const pids = new Map();
  const errors = [];
  const all = [];
  for (let w = 0; w < workers; w++) all.push(worker(w, pids, errors));
  await Promise.all(all);
  if (errors.length) {
    for (const e of errors) console.log(`ERROR ${e}`);
    process.exit(1);
  }
  const every = new Set();
  let maxPer = 0;
  for (const s of pids.values()) {
    for (const p of s) every.add(p);
    maxPer = Math.max(maxPer, s.size);
  }
  console.log(`pids ${[...every].sort((a, b) => a - b).join(',')}`);
  console.log(`max_pids_per_worker ${maxPer}`);
  console.log('OK');
}

main().catch((e) => {
  console.log(`ERROR ${e.stack || e}`);
  process.exit(1);
});
