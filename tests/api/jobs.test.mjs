// Durable jobs over the live server, through their first kind, the tenant
// key rotation: 202 with Location, progress while it runs, the end state and
// result, one rotation at a time per tenant, roles, tenant scope, the CLI
// (jobs list|show|wait, keys rotate --job), a graceful stop that gives the
// job back, and a SIGKILL in the middle of a rotation after which a new
// server takes the job again once its lease has run out and finishes it
// exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertProblem, enrollMfa, runCli, sleep, sql, startServer, strongPassword, world } from './harness.mjs';

// Poll GET /v1/jobs/{id} on srv until pred(job) holds; returns the job.
async function until(srv, token, id, pred, what, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    const r = await srv.request('GET', `/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, r.text);
    last = r.json;
    if (pred(last)) return last;
    await sleep(50);
  }
  throw new Error(`job ${id}: ${what} did not happen: ${JSON.stringify(last)}`);
}

// n patients in the tenant of `token`, a few requests at a time; their ids.
async function seed(w, token, n) {
  const ids = [];
  for (let i = 0; i < n; i += 10) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 10); k++) {
      batch.push(w.send('POST', token, '/v1/patients', { last_name: `Rotation${k}`, first_name: 'Pat', dob: '1970-01-01' }));
    }
    for (const r of await Promise.all(batch)) {
      assert.equal(r.status, 201, r.text);
      ids.push(r.json.id);
    }
  }
  return ids;
}

// Every patient opens, with the name it was given.
async function allReadable(srv, token, ids) {
  for (const id of ids) {
    const r = await srv.request('GET', `/v1/patients/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `patient ${id}: ${r.text}`);
    assert.match(r.json.last_name, /^Rotation\d+$/);
  }
}

const count = (srv, where) => Number(sql(srv, `SELECT count(*) FROM ${where}`));

describe('tenant key rotation as a job', () => {
  let w;
  let patients;
  let jobId;
  before(async () => {
    w = await world({ sets: ['jobs.poll_ms=200'] });
    patients = await seed(w, w.owner.token, 12);
  });
  after(async () => { await w.close(); });

  test('202 with Location; progress shows while it runs; a second request gets the same job; it ends done', async () => {
    const r = await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate', { batch: 2, pause_ms: 150 });
    assert.equal(r.status, 202, r.text);
    jobId = r.json.id;
    assert.equal(r.headers.location, `/v1/jobs/${jobId}`);
    assert.equal(r.json.kind, 'keys.rotate_tenant');
    assert.ok(['queued', 'running'].includes(r.json.state), r.json.state);
    assert.deepEqual(r.json.params, { batch: 2, pause_ms: 150 });
    assert.equal(r.json.created_by, w.owner.id);
    assert.equal(r.json.max_attempts, 3);
    assert.equal(r.json.finished_at, null);
    assert.ok(!('lease_owner' in r.json), 'the worker id is not shown to tenants');
    // one rotation per tenant at a time: asking again names the running one
    const again = await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate');
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.id, jobId);
    assert.equal(again.headers.location, `/v1/jobs/${jobId}`);
    // part way: running, some keys done, the total known
    const mid = await until(w.srv, w.owner.token, jobId, (j) => j.state === 'running' && j.progress.done > 0, 'progress');
    assert.ok(mid.progress.done < 12, JSON.stringify(mid.progress));
    assert.equal(mid.progress.total, 12);
    assert.equal(mid.attempts, 1);
    const done = await until(w.srv, w.owner.token, jobId, (j) => j.state !== 'running' && j.state !== 'queued', 'the end');
    assert.equal(done.state, 'done', JSON.stringify(done));
    assert.deepEqual(done.result, { keys_rewrapped: 12 });
    assert.deepEqual(done.progress, { done: 12, total: 12 });
    assert.equal(done.error, null);
    assert.equal(done.attempts, 1);
    assert.ok(Date.parse(done.finished_at) >= Date.parse(done.created_at));
    // the rotation itself: finished once, audited once, patients still open
    const s = runCli(['keys', 'status', ...w.state]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^\d+\ttenant\t\d+\tdone\t12\/12\t/m);
    assert.equal(s.stdout.trim().split('\n').length, 1, s.stdout);
    assert.equal(count(w.srv, "audit_event WHERE action = 'keys.rotate'"), 1);
    assert.equal(count(w.srv, `audit_event WHERE action = 'job.create' AND object_id = '${jobId}' AND actor_id = ${w.owner.id}`), 1);
    assert.equal(count(w.srv, `audit_event WHERE action = 'job.finish' AND object_id = '${jobId}' AND outcome = 'success'`), 1);
    assert.equal(count(w.srv, `audit_event WHERE action = 'keys.rotate' AND request_id = 'job-${jobId}'`), 1);
    await allReadable(w.srv, w.owner.token, patients);
    const found = await w.send('POST', w.owner.token, '/v1/patients/search', { last_name: 'Rotation3', first_name: 'Pat', dob: '1970-01-01' });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.json.patients.map((p) => p.id), [patients[3]], 'blind indexes moved to the new key');
    assert.equal(runCli(['audit', 'verify', ...w.state]).code, 0);
  });

  test('the CLI lists, shows and waits for jobs; keys rotate --job queues one', async () => {
    const list = runCli(['jobs', 'list', '--tenant', 'demo', ...w.state]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${jobId}\\tkeys\\.rotate_tenant\\tdone\\t12/12\\t1/3\\t`, 'm'));
    const show = runCli(['jobs', 'show', String(jobId), '--tenant', 'demo', ...w.state]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^state: +done$/m);
    assert.match(show.stdout, /^result: +\{"keys_rewrapped":12\}$/m);
    const waited = runCli(['jobs', 'wait', String(jobId), '--tenant', 'demo', ...w.state]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, new RegExp(`^job ${jobId} keys\\.rotate_tenant: done 12/12$`, 'm'));
    assert.ok(!waited.stderr.includes('['), 'no progress bar when stderr is not a terminal');
    // queued from the command line; the server's workers run it
    const q = runCli(['keys', 'rotate', 'tenant', 'demo', '--job', '--batch', '5', ...w.state]);
    assert.equal(q.code, 0, q.stderr);
    const id = Number(q.stdout.match(/^queued job (\d+)/)[1]);
    const w2 = runCli(['jobs', 'wait', String(id), '--tenant', 'demo', '--timeout', '60', ...w.state]);
    assert.equal(w2.code, 0, w2.stdout + w2.stderr);
    assert.match(w2.stdout, /: done 12\/12$/m);
    assert.equal(count(w.srv, "audit_event WHERE action = 'keys.rotate'"), 2);
    assert.equal(count(w.srv, `job WHERE id = ${id} AND created_by = 0`), 1);
    // refusals
    assert.equal(runCli(['jobs', 'show', String(id), '--tenant', 'nosuch', ...w.state]).code, 1);
    assert.equal(runCli(['jobs', 'show', '987654', '--tenant', 'demo', ...w.state]).code, 1);
    assert.equal(runCli(['jobs', 'show', 'x', '--tenant', 'demo', ...w.state]).code, 2);
    assert.equal(runCli(['jobs', 'list', ...w.state]).code, 2);
    assert.equal(runCli(['jobs', 'sideways', ...w.state]).code, 2);
    assert.equal(runCli(['keys', 'rotate', 'tenant', 'demo', '--pause-ms', '5', ...w.state]).code, 2);
  });

  test('a failed job: wait exits 1 with the reason; a kind this server does not know fails with a message', async () => {
    const tenant = sql(w.srv, "SELECT id FROM tenant WHERE slug = 'demo'");
    sql(w.srv, `INSERT INTO job(tenant_id, kind, state, params, max_attempts, created_ms, updated_ms)
      VALUES (${tenant}, 'from.the.future', 'queued', '{}', 3, 1, 1)`);
    const id = Number(sql(w.srv, "SELECT max(id) FROM job WHERE kind = 'from.the.future'"));
    const r = runCli(['jobs', 'wait', String(id), '--tenant', 'demo', '--timeout', '30', ...w.state]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /: failed 0\/0$/m);
    assert.match(r.stderr, /does not know the job kind/);
    const j = await until(w.srv, w.owner.token, id, () => true, 'read');
    assert.equal(j.state, 'failed');
    assert.deepEqual(j.params, {});
    assert.equal(count(w.srv, `audit_event WHERE action = 'job.finish' AND object_id = '${id}' AND outcome = 'failure'`), 1);
  });

  test('bad requests are refused and queue nothing', async () => {
    const before = count(w.srv, 'job');
    for (const body of [{ batch: 0 }, { batch: 10001 }, { batch: '5' }, { pause_ms: -1 }, { pause_ms: 60001 },
      { batch: 1.5 }, { speed: 'fast' }]) {
      assertProblem(assert, await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate', body), 422, 'validation_failed');
    }
    assertProblem(assert, await w.srv.request('POST', '/v1/tenant/keys/rotate', {
      headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'application/json' }, body: '[1]' }), 422, 'validation_failed');
    assertProblem(assert, await w.srv.request('POST', '/v1/tenant/keys/rotate', {
      headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'text/plain' }, body: 'batch=1' }), 415, 'unsupported_media_type');
    assertProblem(assert, await w.srv.request('POST', '/v1/tenant/keys/rotate', {
      headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': 'application/json' }, body: '{"batch":' }), 400, 'malformed_json');
    assert.equal(count(w.srv, 'job'), before);
    for (const q of ['?limit=0', '?limit=501', '?before=0', '?before=x', '?limit=1e3']) {
      assertProblem(assert, await w.send('GET', w.owner.token, `/v1/jobs${q}`), 400, 'bad_request');
    }
    assertProblem(assert, await w.send('GET', w.owner.token, '/v1/jobs/abc'), 404, 'not_found');
    assertProblem(assert, await w.send('PATCH', w.owner.token, `/v1/jobs/${jobId}`, {}), 405, 'method_not_allowed');
  });

  test('the list is newest first, a page at a time', async () => {
    const all = (await w.send('GET', w.owner.token, '/v1/jobs')).json.jobs;
    assert.ok(all.length >= 3);
    assert.deepEqual(all.map((j) => j.id), [...all.map((j) => j.id)].sort((a, b) => b - a));
    const p1 = await w.send('GET', w.owner.token, '/v1/jobs?limit=1');
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(p1.json.jobs.map((j) => j.id), [all[0].id]);
    assert.equal(p1.json.next_before, all[0].id);
    const p2 = await w.send('GET', w.owner.token, `/v1/jobs?limit=2&before=${p1.json.next_before}`);
    assert.deepEqual(p2.json.jobs.map((j) => j.id), [all[1].id, all[2].id]);
    const rest = await w.send('GET', w.owner.token, `/v1/jobs?limit=500&before=${all[0].id}`);
    assert.equal(rest.json.jobs.length, all.length - 1);
    assert.equal('next_before' in rest.json, false);
  });

  test('roles: owners rotate; owners and admins read jobs; the others are refused', async () => {
    const may = { owner: [true, true], admin: [false, true], biller: [false, false], coder: [false, false],
      front_desk: [false, false], compliance: [false, false], analyst: [false, false] };
    for (const [role, [rotate, read]] of Object.entries(may)) {
      const u = role === 'owner' ? w.owner : await w.user(role, `jobs.${role}`);
      const p = await w.send('POST', u.token, '/v1/tenant/keys/rotate');
      if (rotate) assert.ok(p.status === 202 || p.status === 200, `${role}: ${p.text}`);
      else assertProblem(assert, p, 403, 'forbidden');
      for (const path of ['/v1/jobs', `/v1/jobs/${jobId}`]) {
        const g = await w.send('GET', u.token, path);
        if (read) assert.equal(g.status, 200, `${role} ${path}: ${g.text}`);
        else assertProblem(assert, g, 403, 'forbidden');
      }
    }
    const key = (await w.send('POST', w.owner.token, '/v1/api-keys', { name: 'machine', role: 'api_client' })).json;
    assertProblem(assert, await w.send('POST', key.key, '/v1/tenant/keys/rotate'), 403, 'forbidden');
    assertProblem(assert, await w.send('GET', key.key, '/v1/jobs'), 403, 'forbidden');
    for (const [method, path] of [['POST', '/v1/tenant/keys/rotate'], ['GET', '/v1/jobs'], ['GET', `/v1/jobs/${jobId}`]]) {
      assertProblem(assert, await w.srv.request(method, path), 401, 'unauthorized');
    }
  });

  test('another tenant\'s job answers 404 exactly like a missing one', async () => {
    assert.equal(runCli(['tenant', 'add', '--slug', 'other', '--name', 'Other Practice', ...w.state]).code, 0);
    const pw = strongPassword();
    const add = runCli(['user', 'add', '--tenant', 'other', '--email', 'owner@other.example', '--name', 'O',
      '--role', 'owner', '--password-file', '-', ...w.state], { input: pw });
    assert.equal(add.code, 0, add.stderr);
    const l = await w.login('owner@other.example', pw, 'other');
    assert.equal(l.status, 200, l.text);
    await enrollMfa(w.srv, l.json.token);
    const theirs = l.json.token;
    const cross = await w.send('GET', theirs, `/v1/jobs/${jobId}`);
    const missing = await w.send('GET', theirs, '/v1/jobs/987654321');
    assertProblem(assert, cross, 404, 'not_found');
    assertProblem(assert, missing, 404, 'not_found');
    for (const k of ['type', 'title', 'status', 'detail', 'code']) assert.equal(cross.json[k], missing.json[k]);
    assert.deepEqual((await w.send('GET', theirs, '/v1/jobs')).json.jobs, []);
    assert.equal(runCli(['jobs', 'show', String(jobId), '--tenant', 'other', ...w.state]).code, 1);
    // their own rotation is theirs alone (and not "the one already running" of demo)
    const mine = await w.send('POST', theirs, '/v1/tenant/keys/rotate');
    assert.equal(mine.status, 202, mine.text);
    assert.notEqual(mine.json.id, jobId);
    await until(w.srv, theirs, mine.json.id, (j) => j.state === 'done', 'done');
  });
});

describe('a rotation job across server stops', () => {
  const SETS = ['jobs.lease_s=2', 'jobs.poll_ms=200'];

  test('SIGKILL in the middle: a new server takes the job again after the lease and finishes it exactly once', async () => {
    const w = await world({ sets: SETS });
    let srv2;
    try {
      const patients = await seed(w, w.owner.token, 60);
      const r = await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate', { batch: 1, pause_ms: 50 });
      assert.equal(r.status, 202, r.text);
      const id = r.json.id;
      const mid = await until(w.srv, w.owner.token, id, (j) => j.progress.done >= 5, 'five keys');
      assert.equal(mid.state, 'running');
      assert.ok(mid.progress.done < 60, 'killed in the middle');
      const killed = await w.srv.stop('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');
      assert.equal(sql(w.srv, `SELECT state || ' ' || attempts FROM job WHERE id = ${id}`), 'running 1');
      assert.equal(count(w.srv, "key_rotation WHERE kind = 'tenant' AND state = 'running'"), 1);

      srv2 = await startServer({ stateDir: w.srv.stateDir, sets: SETS });
      const taken = await until(srv2, w.owner.token, id, (j) => j.attempts === 2, 'taken again');
      assert.ok(['running', 'done'].includes(taken.state), taken.state);
      const done = await until(srv2, w.owner.token, id, (j) => j.state === 'done' || j.state === 'failed', 'the end');
      assert.equal(done.state, 'done', JSON.stringify(done));
      assert.equal(done.attempts, 2);
      assert.deepEqual(done.result, { keys_rewrapped: 60 });
      assert.equal(count(srv2, "audit_event WHERE action = 'keys.rotate'"), 1);
      assert.equal(count(srv2, `audit_event WHERE action = 'job.finish' AND object_id = '${id}'`), 1);
      assert.equal(count(srv2, "key_rotation WHERE kind = 'tenant'"), 1);
      assert.equal(count(srv2, "key_rotation WHERE kind = 'tenant' AND state = 'done' AND done = 60"), 1);
      assert.equal(count(srv2, "tenant_key WHERE purpose LIKE '%-next'"), 0);
      const s = runCli(['keys', 'status', ...w.state]);
      assert.match(s.stdout, /^\d+\ttenant\t\d+\tdone\t60\/60\t/m);
      await allReadable(srv2, w.owner.token, patients);
      assert.equal(runCli(['audit', 'verify', ...w.state]).code, 0);
      assert.equal((await srv2.stop()).code, 0, srv2.stderr);
      srv2 = null;
    } finally {
      if (srv2) await srv2.stop('SIGKILL');
      if (w.srv.child.exitCode === null && w.srv.child.signalCode === null) await w.srv.stop('SIGKILL');
      w.srv.cleanup();
    }
  });

  test('SIGTERM in the middle: the server stops within its grace period and gives the job back for the next one', async () => {
    const w = await world({ sets: SETS });
    let srv2;
    try {
      const patients = await seed(w, w.owner.token, 20);
      const r = await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate', { batch: 1, pause_ms: 2000 });
      assert.equal(r.status, 202, r.text);
      const id = r.json.id;
      await until(w.srv, w.owner.token, id, (j) => j.progress.done >= 1, 'one key');
      const t0 = Date.now();
      const stopped = await w.srv.stop('SIGTERM');
      assert.equal(stopped.code, 0, w.srv.stderr);
      assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms, inside a 2 s pause`);
      // given back, the attempt refunded: queued, no lease
      assert.equal(sql(w.srv, `SELECT state || ' ' || attempts || ' ' || lease_expires_ms FROM job WHERE id = ${id}`), 'queued 0 0');
      // the test's shortcut: without the long pause from here on (the row is what the next run reads)
      sql(w.srv, `UPDATE job SET params = '{"batch":5,"pause_ms":0}' WHERE id = ${id}`);
      srv2 = await startServer({ stateDir: w.srv.stateDir, sets: SETS });
      const done = await until(srv2, w.owner.token, id, (j) => j.state === 'done', 'the end');
      assert.equal(done.attempts, 1);
      assert.equal(count(srv2, "audit_event WHERE action = 'keys.rotate'"), 1);
      await allReadable(srv2, w.owner.token, patients);
      assert.equal((await srv2.stop()).code, 0, srv2.stderr);
      srv2 = null;
    } finally {
      if (srv2) await srv2.stop('SIGKILL');
      if (w.srv.child.exitCode === null && w.srv.child.signalCode === null) await w.srv.stop('SIGKILL');
      w.srv.cleanup();
    }
  });

  test('jobs.workers=0: the server runs none; another one does', async () => {
    const w = await world({ sets: ['jobs.workers=0'] });
    let srv2;
    try {
      const r = await w.send('POST', w.owner.token, '/v1/tenant/keys/rotate');
      assert.equal(r.status, 202, r.text);
      await sleep(1500);
      assert.equal((await w.send('GET', w.owner.token, `/v1/jobs/${r.json.id}`)).json.state, 'queued');
      srv2 = await startServer({ stateDir: w.srv.stateDir, sets: ['jobs.poll_ms=100'] });
      const done = await until(srv2, w.owner.token, r.json.id, (j) => j.state === 'done', 'the end');
      assert.equal(done.attempts, 1);
      assert.equal((await w.send('GET', w.owner.token, `/v1/jobs/${r.json.id}`)).json.state, 'done');
      assert.equal((await srv2.stop()).code, 0, srv2.stderr);
      srv2 = null;
    } finally {
      if (srv2) await srv2.stop('SIGKILL');
      await w.close();
    }
  });
});
