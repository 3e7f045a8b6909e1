// Two `openrcm serve` processes on one PostgreSQL database (the shape of a
// scale-out): writes through both at once leave one valid audit chain, and
// a rule checked inside a transaction (the last owner may not be demoted)
// holds when the two requests that would break it race through different
// processes. Runs in the PostgreSQL pass (RCM_TEST_BACKEND=postgres).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PG, bearer, runCli, sql, startServer, world } from './harness.mjs';

describe('two server processes on one PostgreSQL database', { skip: !PG && 'PostgreSQL pass only' }, () => {
  let w, second;
  const send = (srv, method, token, path, body) => srv.request(method, path, body === undefined
    ? { headers: bearer(token) }
    : { headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    w = await world();
    second = await startServer({ stateDir: w.srv.stateDir });
  });
  after(async () => {
    if (second) await second.stop();
    if (w) {
      await w.srv.stop();
      w.srv.cleanup();
    }
  });

  test('concurrent writes through both processes make one intact chain', async () => {
    const biller = await w.user('biller', 'racing.biller');
    const start = Number(sql(w.srv, 'SELECT coalesce(max(seq), 0) FROM audit_event'));
    const creates = Array.from({ length: 40 }, (_, i) => send(i % 2 ? second : w.srv, 'POST', biller.token,
      '/v1/patients', { last_name: `Race${i}`, first_name: 'Pat', dob: '1980-01-01' }));
    const results = await Promise.all(creates);
    for (const r of results) assert.equal(r.status, 201, r.text);
    const reads = results.map((r, i) => send(i % 2 ? w.srv : second, 'GET', biller.token, `/v1/patients/${r.json.id}`));
    for (const r of await Promise.all(reads)) assert.equal(r.status, 200, r.text);
    // every record in one sequence: no gap, no fork
    const [n, distinct, span] = sql(w.srv, `SELECT count(*), count(DISTINCT seq), max(seq) - min(seq) + 1
      FROM audit_event WHERE seq > ${start}`).split('|');
    assert.ok(n === distinct && n === span && Number(n) >= 80, `${n} ${distinct} ${span}`);
    assert.equal(sql(w.srv, `SELECT count(*) FROM audit_event WHERE seq > ${start} AND action = 'patient.create'`), '40');
    const v = runCli(['audit', 'verify', ...w.state]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /audit log intact/);
  });

  test('the last owner survives two demotions racing through both processes', async () => {
    const other = await w.user('owner', 'second.owner');
    // leave exactly these two owners (the demo tenant starts with one more)
    const demo = "(SELECT id FROM tenant WHERE slug = 'demo')";
    for (const id of sql(w.srv, `SELECT id FROM app_user WHERE role = 'owner' AND tenant_id = ${demo}
        AND id NOT IN (${w.owner.id}, ${other.id})`).split('\n').filter(Boolean)) {
      assert.equal((await send(w.srv, 'PATCH', w.owner.token, `/v1/users/${id}`, { role: 'admin' })).status, 200);
    }
    // each owner demotes the other at the same moment: one must be refused
    const [a, b] = await Promise.all([
      send(w.srv, 'PATCH', w.owner.token, `/v1/users/${other.id}`, { role: 'admin' }),
      send(second, 'PATCH', other.token, `/v1/users/${w.owner.id}`, { role: 'admin' }),
    ]);
    const codes = [a.status, b.status].sort();
    assert.ok(codes[0] === 200 && codes[1] !== 200, `${a.status} ${a.text} / ${b.status} ${b.text}`);
    assert.equal(sql(w.srv, `SELECT count(*) FROM app_user WHERE role = 'owner' AND disabled = 0
      AND tenant_id = ${demo}`), '1');
  });
});
