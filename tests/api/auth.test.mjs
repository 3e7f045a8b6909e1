// Identity over the live server: login, sessions, CSRF, throttling, the
// role x endpoint matrix, tenant isolation, the audit endpoint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertProblem, enrollMfa, runCli, sql, startServer, totp } from './harness.mjs';

const ROLES = ['owner', 'admin', 'biller', 'coder', 'front_desk', 'compliance', 'analyst', 'api_client'];
// The policy under test, written out independently of src/auth/auth_roles.c.
const MAY = {
  'GET /v1/me': ROLES,
  'GET /v1/users': ['owner', 'admin', 'compliance'],
  'POST /v1/users': ['owner', 'admin'],
  'GET /v1/users/{id}': ['owner', 'admin', 'compliance'],
  'GET /v1/audit': ['owner', 'admin', 'compliance'],
  'GET /v1/api-keys': ['owner', 'admin'],
  'PATCH /v1/users/{id}': ['owner', 'admin'],
  'POST /v1/users/{id}/unlock': ['owner', 'admin'],
  'GET /v1/tenant': ROLES,
  'PATCH /v1/tenant': ['owner', 'admin'],
  'GET /v1/break-glass': ['owner', 'admin', 'compliance'],
  // sessions of these roles may start emergency access (the api_client role never)
  'POST /v1/auth/break-glass': ['owner', 'admin', 'biller', 'coder', 'front_desk', 'compliance'],
  // key rotation runs as a job (202); the tenant's jobs are for owners and admins
  'POST /v1/tenant/keys/rotate': ['owner'],
  'GET /v1/jobs': ['owner', 'admin'],
  // the practice's providers and payers are not patient data: every member reads them
  'GET /v1/providers': ROLES,
  'GET /v1/payers': ROLES,
  'GET /v1/fee-schedules': ROLES,
  // reports: aggregates (no PHI) for analysts and billers; the timely-filing list names
  // claim ids and dates of service, so it needs phi.read
  'GET /v1/reports/ar-aging': ['owner', 'admin', 'biller', 'analyst', 'api_client'],
  'GET /v1/reports/kpis': ['owner', 'admin', 'biller', 'analyst', 'api_client'],
  'GET /v1/reports/denials': ['owner', 'admin', 'biller', 'analyst', 'api_client'],
  'GET /v1/reports/timely-filing': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  // encounters: phi.read to read; charge capture by claim.write, code fixes by coding.write
  'GET /v1/encounters': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  // payment posting: phi.read to read (posting and worklist actions need claim.write)
  'GET /v1/remittances': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  'GET /v1/unmatched-payments': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  'GET /v1/deposits': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  'GET /v1/denials': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  'GET /v1/claims': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  'GET /v1/batches': ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'],
  // a POST that only builds batches from ready claims: none exist, so nothing changes
  'POST /v1/batches': ['owner', 'biller', 'api_client'],
  // every member lists client practices: owners and admins all, the rest
  // those assigned to them (managing assignments: clients.test.mjs)
  'GET /v1/clients': ROLES,
};
// Request bodies for the matrix: each leaves the tenant as it was.
const MATRIX_BODY = {
  'POST /v1/users': (role) => ({ email: `new-${role}-${randomBytes(3).toString('hex')}@demo.example`,
    display_name: 'New', role: 'analyst', password: strongPassword() }),
  'PATCH /v1/users/{id}': () => ({ display_name: 'The coder' }),
  'PATCH /v1/tenant': () => ({ break_glass_max_minutes: 60 }),
  'POST /v1/auth/break-glass': () => ({ reason: 'matrix test: emergency access check', minutes: 1 }),
};

const strongPassword = () => `pw-${randomBytes(18).toString('base64url')}`;
const json = (o) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });


describe('identity', () => {
  let srv;
  let owner;            // { token, csrf, id }
  const tokens = {};    // role -> token
  const ids = {};       // role -> user id
  const state = () => ['--set', `state_dir=${srv.stateDir}`];

  async function login(tenant, email, password) {
    return srv.request('POST', '/v1/auth/login', json({ tenant, email, password }));
  }
  const bearer = (token) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    srv = await startServer({ args: ['--demo'] });
    // the demo owner's password is printed once; make our own owner instead
    const pw = strongPassword();
    const add = runCli(['user', 'add', '--tenant', 'demo', '--email', 'boss@demo.example', '--name',
      'Boss', '--role', 'owner', '--password-file', '-', ...state()], { input: `${pw}\n` });
    assert.equal(add.code, 0, add.stderr);
    const r = await login('demo', 'boss@demo.example', pw);
    assert.equal(r.status, 200, r.text);
    owner = { token: r.json.token, csrf: r.json.csrf_token, id: r.json.user.id, cookie: r.headers['set-cookie'] };
    owner.mfa = await enrollMfa(srv, owner.token);
    for (const role of ROLES) {
      const email = `${role}.user@demo.example`;
      const password = strongPassword();
      const c = await srv.request('POST', '/v1/users', {
        headers: { ...bearer(owner.token), 'content-type': 'application/json' },
        body: JSON.stringify({ email, display_name: `The ${role}`, role, password }),
      });
      assert.equal(c.status, 201, c.text);
      ids[role] = c.json.id;
      const l = await login('demo', email, password);
      assert.equal(l.status, 200, l.text);
      tokens[role] = l.json.token;
      if (role === 'owner' || role === 'admin') await enrollMfa(srv, l.json.token);
    }
  });
  after(async () => {
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  });

  test('login returns a bearer token and a Secure HttpOnly SameSite=Strict cookie', () => {
    assert.match(owner.token, /^[A-Za-z0-9_-]{43}$/);
    assert.match(owner.csrf, /^[A-Za-z0-9_-]{43}$/);
    const cookie = owner.cookie.join(';');
    assert.match(cookie, /rcm_session=[A-Za-z0-9_-]{43}/);
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict']) assert.ok(cookie.includes(flag), flag);
  });

  test('tokens are stored only as hashes', () => {
    const stored = sql(srv, 'SELECT token_hash FROM session');
    assert.ok(!stored.includes(owner.token));
    assert.match(stored.split('\n')[0], /^[0-9a-f]{64}$/);
    const pw = sql(srv, "SELECT password_hash FROM app_user WHERE email = 'boss@demo.example'");
    assert.match(pw, /^\$argon2id\$/);
  });

  test('wrong password and unknown user get the same 401', async () => {
    const a = await login('demo', 'boss@demo.example', 'not the password at all');
    const b = await login('demo', 'nobody@demo.example', 'not the password at all');
    const c = await login('no-such-tenant', 'boss@demo.example', 'x');
    for (const r of [a, b, c]) {
      assertProblem(assert, r, 401, 'unauthorized');
      assert.equal(r.json.detail, a.json.detail);
    }
  });

  test('role x endpoint matrix', async () => {
    for (const [route, allowed] of Object.entries(MAY)) {
      const [method, pattern] = route.split(' ');
      for (const role of ROLES) {
        const path = pattern.replace('{id}', String(ids.coder));
        const opts = { headers: bearer(tokens[role]) };
        if (MATRIX_BODY[route]) {
          Object.assign(opts, json(MATRIX_BODY[route](role)));
          opts.headers = { ...opts.headers, ...bearer(tokens[role]) };
        }
        const r = await srv.request(method, path, opts);
        if (allowed.includes(role)) {
          assert.ok([200, 201, 202].includes(r.status), `${role} ${route}: ${r.status} ${r.text}`);
        } else {
          assertProblem(assert, r, 403, 'forbidden');
        }
        if (route === 'POST /v1/auth/break-glass' && r.status === 201) {
          const end = await srv.request('DELETE', '/v1/auth/break-glass', { headers: bearer(tokens[role]) });
          assert.equal(end.status, 200, end.text);
        }
      }
    }
  });

  test('every protected route refuses anonymous and forged tokens', async () => {
    const forged = randomBytes(32).toString('base64url');
    for (const route of Object.keys(MAY).concat(['POST /v1/auth/logout', 'POST /v1/auth/logout-all',
      'POST /v1/api-keys', 'DELETE /v1/api-keys/{id}', 'DELETE /v1/auth/break-glass', 'GET /v1/jobs/{id}',
      'GET /v1/clients/{id}/assignments', 'POST /v1/clients/{id}/assignments',
      'DELETE /v1/clients/{id}/assignments/{user_id}'])) {
      const [method, pattern] = route.split(' ');
      const path = pattern.replace(/\{[a-z_]+\}/g, '1');
      for (const headers of [{}, bearer(forged), bearer(`rcmk_${forged}`), { authorization: 'Basic Zm9vOmJhcg==' },
        bearer(`${owner.token}x`), { cookie: `rcm_session=${forged}` }]) {
        const r = await srv.request(method, path, { headers });
        assertProblem(assert, r, 401, 'unauthorized');
      }
    }
  });

  test('only an owner creates owners; weak passwords are refused with the reason', async () => {
    const admin = bearer(tokens.admin);
    let r = await srv.request('POST', '/v1/users', { ...json({ email: 'x@demo.example', display_name: 'X',
      role: 'owner', password: strongPassword() }), headers: { ...admin, 'content-type': 'application/json' } });
    assertProblem(assert, r, 403, 'forbidden');
    for (const [password, why] of [['short', /15 characters/], ['abcabcabcabcabcabc', /repeated/],
      ['weak.person@demo.example.x', /email/], ['abcdefghijklmnopq', /run of/]]) {
      r = await srv.request('POST', '/v1/users', { ...json({ email: 'weak.person@demo.example',
        display_name: 'Weak', role: 'coder', password }), headers: { ...admin, 'content-type': 'application/json' } });
      assert.equal(r.status, 422, `${password}: ${r.text}`);
      assertProblem(assert, r, 422, 'validation_failed');
      assert.match(r.json.detail, why);
      assert.ok(!r.json.detail.includes(password), 'the password is not echoed');
    }
    r = await srv.request('POST', '/v1/users', { ...json({ email: 'coder.user@demo.example', display_name: 'Dup',
      role: 'coder', password: strongPassword() }), headers: { ...admin, 'content-type': 'application/json' } });
    assertProblem(assert, r, 409, 'conflict');
  });

  test('SQL in values is stored literally', async () => {
    const name = "Robert'); DROP TABLE app_user; --";
    const r = await srv.request('POST', '/v1/users', { ...json({ email: 'bobby@demo.example', display_name: name,
      role: 'coder', password: strongPassword() }), headers: { ...bearer(owner.token), 'content-type': 'application/json' } });
    assert.equal(r.status, 201, r.text);
    const g = await srv.request('GET', `/v1/users/${r.json.id}`, { headers: bearer(owner.token) });
    assert.equal(g.json.display_name, name);
  });

  test('another tenant\'s user answers 404 exactly like a missing one', async () => {
    assert.equal(runCli(['tenant', 'add', '--slug', 'other', '--name', 'Other Practice', ...state()]).code, 0);
    const pw = strongPassword();
    const add = runCli(['user', 'add', '--tenant', 'other', '--email', 'admin@other.example',
      '--name', 'Other Admin', '--role', 'admin', '--password-file', '-', ...state()], { input: pw });
    assert.equal(add.code, 0, add.stderr);
    const l = await login('other', 'admin@other.example', pw);
    assert.equal(l.status, 200);
    await enrollMfa(srv, l.json.token);
    const theirs = bearer(l.json.token);
    const cross = await srv.request('GET', `/v1/users/${ids.coder}`, { headers: theirs });
    const missing = await srv.request('GET', '/v1/users/999999', { headers: theirs });
    assertProblem(assert, cross, 404, 'not_found');
    assertProblem(assert, missing, 404, 'not_found');
    for (const k of ['type', 'title', 'status', 'detail', 'code']) assert.equal(cross.json[k], missing.json[k]);
    const list = await srv.request('GET', '/v1/users', { headers: theirs });
    assert.deepEqual(list.json.users.map((u) => u.email), ['admin@other.example']);
    // changing or unlocking another tenant's user: 404 like a missing one, and nothing changes
    for (const [method, suffix, body] of [['PATCH', '', { disabled: true }], ['PATCH', '', { role: 'analyst' }],
      ['POST', '/unlock', undefined]]) {
      const opts = body ? { ...json(body), headers: { ...theirs, 'content-type': 'application/json' } } : { headers: theirs };
      const c = await srv.request(method, `/v1/users/${ids.coder}${suffix}`, opts);
      const m = await srv.request(method, `/v1/users/999999${suffix}`, opts);
      assertProblem(assert, c, 404, 'not_found');
      assertProblem(assert, m, 404, 'not_found');
      for (const k of ['type', 'title', 'status', 'detail', 'code']) assert.equal(c.json[k], m.json[k]);
    }
    const coder = await srv.request('GET', `/v1/users/${ids.coder}`, { headers: bearer(owner.token) });
    assert.equal(coder.json.disabled, false);
    assert.equal(coder.json.role, 'coder');
    // each sees and changes only its own tenant's policy and grants
    const ourTenant = (await srv.request('GET', '/v1/tenant', { headers: bearer(owner.token) })).json;
    const p = await srv.request('PATCH', '/v1/tenant', { ...json({ break_glass_max_minutes: 17 }),
      headers: { ...theirs, 'content-type': 'application/json' } });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.slug, 'other');
    assert.notEqual(p.json.id, ourTenant.id);
    assert.equal((await srv.request('GET', '/v1/tenant', { headers: bearer(owner.token) })).json.policy.break_glass_max_minutes,
      ourTenant.policy.break_glass_max_minutes);
    const grants = await srv.request('GET', '/v1/break-glass', { headers: theirs });
    assert.equal(grants.status, 200, grants.text);
    assert.deepEqual(grants.json.grants, []);
    const audit = await srv.request('GET', '/v1/audit?limit=1000', { headers: theirs });
    assert.ok(audit.json.events.every((e) => !String(e.actor_id) || e.actor_id !== owner.id));
  });

  test('cookie sessions need the CSRF token for unsafe methods', async () => {
    const cookie = `rcm_session=${tokens.front_desk}`;
    const get = await srv.request('GET', '/v1/me', { headers: { cookie } });
    assert.equal(get.status, 200);
    const post = await srv.request('POST', '/v1/auth/logout', { headers: { cookie } });
    assertProblem(assert, post, 403, 'csrf_failed');
    const wrong = await srv.request('POST', '/v1/auth/logout', { headers: { cookie, 'x-csrf-token': owner.csrf } });
    assertProblem(assert, wrong, 403, 'csrf_failed');
  });

  test('logout ends the session; logout-all ends every session of the user', async () => {
    const pw = strongPassword();
    const c = await srv.request('POST', '/v1/users', { ...json({ email: 'leaver@demo.example', display_name: 'Leaver',
      role: 'biller', password: pw }), headers: { ...bearer(owner.token), 'content-type': 'application/json' } });
    assert.equal(c.status, 201);
    const s1 = (await login('demo', 'leaver@demo.example', pw)).json;
    const s2 = (await login('demo', 'leaver@demo.example', pw)).json;
    const s3 = (await login('demo', 'leaver@demo.example', pw)).json;
    let r = await srv.request('POST', '/v1/auth/logout', { headers: bearer(s1.token) });
    assert.equal(r.status, 200);
    assert.match(r.headers['set-cookie'].join(';'), /Max-Age=0/);
    assertProblem(assert, await srv.request('GET', '/v1/me', { headers: bearer(s1.token) }), 401, 'unauthorized');
    assert.equal((await srv.request('GET', '/v1/me', { headers: bearer(s2.token) })).status, 200);
    r = await srv.request('POST', '/v1/auth/logout-all', { headers: bearer(s2.token) });
    assert.equal(r.status, 200);
    for (const s of [s2, s3]) {
      assertProblem(assert, await srv.request('GET', '/v1/me', { headers: bearer(s.token) }), 401, 'unauthorized');
    }
  });

  test('idle and absolute session timeouts', async () => {
    const pw = strongPassword();
    await srv.request('POST', '/v1/users', { ...json({ email: 'sleepy@demo.example', display_name: 'Sleepy',
      role: 'coder', password: pw }), headers: { ...bearer(owner.token), 'content-type': 'application/json' } });
    const idle = (await login('demo', 'sleepy@demo.example', pw)).json;
    const old = (await login('demo', 'sleepy@demo.example', pw)).json;
    // age the sessions in the database: 19 minutes idle (default 15, + 56 s write-back slack), 13 hours old (limit 12)
    sql(srv, `UPDATE session SET last_seen_ms = last_seen_ms - 19*60000, created_ms = created_ms - 19*60000
              WHERE id = (SELECT max(id) - 1 FROM session)`);
    sql(srv, `UPDATE session SET created_ms = created_ms - 13*3600000 WHERE id = (SELECT max(id) FROM session)`);
    let r = await srv.request('GET', '/v1/me', { headers: bearer(idle.token) });
    assertProblem(assert, r, 401, 'unauthorized');
    assert.match(r.json.detail, /inactivity/);
    r = await srv.request('GET', '/v1/me', { headers: bearer(old.token) });
    assertProblem(assert, r, 401, 'unauthorized');
    assert.match(r.json.detail, /expired/);
    assert.equal(sql(srv, "SELECT count(*) FROM audit_event WHERE action IN ('session.idle', 'session.expire')"), '2');
  });

  test('repeated failures are throttled with Retry-After and audited', async () => {
    const pw = strongPassword();
    await srv.request('POST', '/v1/users', { ...json({ email: 'target@demo.example', display_name: 'Target',
      role: 'coder', password: pw }), headers: { ...bearer(owner.token), 'content-type': 'application/json' } });
    let last;
    for (let i = 0; i < 8; i++) last = await login('demo', 'target@demo.example', `wrong guess ${i} xxxxxxxx`);
    assertProblem(assert, last, 429, 'too_many_requests');
    assert.ok(Number(last.headers['retry-after']) >= 1);
    // even the right password waits out the back-off
    const right = await login('demo', 'target@demo.example', pw);
    assertProblem(assert, right, 429, 'too_many_requests');
    const failures = sql(srv, "SELECT count(*) FROM audit_event WHERE action = 'login.failure' AND outcome = 'failure'");
    assert.ok(Number(failures) >= 5);
  });

  test('the audit endpoint shows logins and user changes, and audits its own use', async () => {
    const r = await srv.request('GET', '/v1/audit?limit=1000', { headers: bearer(tokens.compliance) });
    assert.equal(r.status, 200, r.text);
    const actions = new Set(r.json.events.map((e) => e.action));
    for (const a of ['login', 'user.create', 'login.failure']) assert.ok(actions.has(a), a);
    const byUser = await srv.request('GET', `/v1/audit?user=${owner.id}&limit=5`, { headers: bearer(tokens.compliance) });
    assert.ok(byUser.json.events.length > 0);
    assert.ok(byUser.json.events.every((e) => e.actor_id === owner.id));
    assert.equal(byUser.json.next_after, byUser.json.events.at(-1).seq);
    const bad = await srv.request('GET', '/v1/audit?from=yesterday', { headers: bearer(tokens.compliance) });
    assertProblem(assert, bad, 422, 'validation_failed');
    assert.ok(Number(sql(srv, "SELECT count(*) FROM audit_event WHERE action = 'audit.read'")) >= 2);
    const v = runCli(['audit', 'verify', ...state()]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});

describe('API keys', () => {
  let srv;
  let owner;
  let admin;
  const bearer = (token) => ({ authorization: `Bearer ${token}` });
  const post = (token, path, body) => srv.request('POST', path, {
    headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    srv = await startServer({ args: ['--demo'] });
    const state = ['--set', `state_dir=${srv.stateDir}`];
    const pw = strongPassword();
    assert.equal(runCli(['user', 'add', '--tenant', 'demo', '--email', 'keys.owner@demo.example', '--name', 'K',
      '--role', 'owner', '--password-file', '-', ...state], { input: pw }).code, 0);
    owner = (await srv.request('POST', '/v1/auth/login', json({ tenant: 'demo', email: 'keys.owner@demo.example',
      password: pw }))).json.token;
    await enrollMfa(srv, owner);
    const apw = strongPassword();
    assert.equal((await post(owner, '/v1/users', { email: 'keys.admin@demo.example', display_name: 'A',
      role: 'admin', password: apw })).status, 201);
    admin = (await srv.request('POST', '/v1/auth/login', json({ tenant: 'demo', email: 'keys.admin@demo.example',
      password: apw }))).json.token;
    await enrollMfa(srv, admin);
  });
  after(async () => {
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  });

  test('a key is shown once, stored as a hash, and acts with its role', async () => {
    const c = await post(owner, '/v1/api-keys', { name: 'clearinghouse sync', role: 'compliance', expires_in_days: 30 });
    assert.equal(c.status, 201, c.text);
    assert.match(c.json.key, /^rcmk_[A-Za-z0-9_-]{43}$/);
    assert.equal(c.json.prefix, c.json.key.slice(0, 12));
    const list = await srv.request('GET', '/v1/api-keys', { headers: bearer(owner) });
    assert.ok(list.json.api_keys.every((k) => k.key === undefined));
    assert.ok(!sql(srv, 'SELECT key_hash FROM api_key').includes(c.json.key));
    const me = await srv.request('GET', '/v1/me', { headers: bearer(c.json.key) });
    assert.equal(me.status, 200);
    assert.equal(me.json.role, 'compliance');
    assert.equal(me.json.api_key_id, c.json.id);
    assert.equal((await srv.request('GET', '/v1/audit', { headers: bearer(c.json.key) })).status, 200);
    assertProblem(assert, await post(c.json.key, '/v1/users', { email: 'x@demo.example', display_name: 'X',
      role: 'coder', password: strongPassword() }), 403, 'forbidden');
    assert.ok(Number(sql(srv, `SELECT count(*) FROM audit_event WHERE actor_type = 'api_key' AND actor_id = ${c.json.id}`)) >= 1);
  });

  test('a key never exceeds its creator, and is never owner', async () => {
    assertProblem(assert, await post(admin, '/v1/api-keys', { name: 'too much', role: 'biller' }), 403, 'forbidden');
    assert.equal((await post(admin, '/v1/api-keys', { name: 'reports', role: 'analyst' })).status, 201);
    assertProblem(assert, await post(owner, '/v1/api-keys', { name: 'root', role: 'owner' }), 422, 'validation_failed');
    assertProblem(assert, await post(owner, '/v1/api-keys', { name: 'long', role: 'coder', expires_in_days: 366 }),
      422, 'validation_failed');
  });

  test('revoked and expired keys are refused; another tenant cannot revoke', async () => {
    const a = (await post(owner, '/v1/api-keys', { name: 'a', role: 'coder' })).json;
    const b = (await post(owner, '/v1/api-keys', { name: 'b', role: 'coder' })).json;
    assert.equal((await srv.request('GET', '/v1/me', { headers: bearer(a.key) })).status, 200);
    const del = await srv.request('DELETE', `/v1/api-keys/${a.id}`, { headers: bearer(owner) });
    assert.equal(del.status, 200, del.text);
    assertProblem(assert, await srv.request('GET', '/v1/me', { headers: bearer(a.key) }), 401, 'unauthorized');
    assertProblem(assert, await srv.request('DELETE', `/v1/api-keys/${a.id}`, { headers: bearer(owner) }), 404, 'not_found');
    sql(srv, `UPDATE api_key SET expires_ms = 1 WHERE id = ${b.id}`);
    const expired = await srv.request('GET', '/v1/me', { headers: bearer(b.key) });
    assertProblem(assert, expired, 401, 'unauthorized');
    assert.match(expired.json.detail, /expired/);
    const state = ['--set', `state_dir=${srv.stateDir}`];
    assert.equal(runCli(['tenant', 'add', '--slug', 'elsewhere', '--name', 'Elsewhere', ...state]).code, 0);
    const pw = strongPassword();
    assert.equal(runCli(['user', 'add', '--tenant', 'elsewhere', '--email', 'o@else.example', '--name', 'O',
      '--role', 'owner', '--password-file', '-', ...state], { input: pw }).code, 0);
    const theirs = (await srv.request('POST', '/v1/auth/login', json({ tenant: 'elsewhere', email: 'o@else.example',
      password: pw }))).json.token;
    await enrollMfa(srv, theirs);
    const c = (await post(owner, '/v1/api-keys', { name: 'c', role: 'coder' })).json;
    assertProblem(assert, await srv.request('DELETE', `/v1/api-keys/${c.id}`, { headers: bearer(theirs) }), 404, 'not_found');
    assert.equal((await srv.request('GET', '/v1/me', { headers: bearer(c.key) })).status, 200);
    assertProblem(assert, await srv.request('POST', '/v1/auth/logout', { headers: bearer(c.key) }), 400, 'bad_request');
  });
});

describe('second factor (TOTP)', () => {
  let srv;
  const bearer = (token) => ({ authorization: `Bearer ${token}` });
  const login = (body) => srv.request('POST', '/v1/auth/login', json({ tenant: 'demo', ...body }));

  before(async () => { srv = await startServer({ args: ['--demo'] }); });
  after(async () => {
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  });

  test('an owner without a second factor may only enrol one', async () => {
    const pw = strongPassword();
    assert.equal(runCli(['user', 'add', '--tenant', 'demo', '--email', 'mfa.owner@demo.example', '--name', 'M',
      '--role', 'owner', '--password-file', '-', '--set', `state_dir=${srv.stateDir}`], { input: pw }).code, 0);
    const first = await login({ email: 'mfa.owner@demo.example', password: pw });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.mfa_enrolment_required, true);
    const t = first.json.token;
    assertProblem(assert, await srv.request('GET', '/v1/users', { headers: bearer(t) }), 403, 'mfa_enrolment_required');
    const me = await srv.request('GET', '/v1/me', { headers: bearer(t) });
    assert.equal(me.status, 200);
    assert.equal(me.json.mfa_ok, false);

    const e = await srv.request('POST', '/v1/auth/mfa/enroll', { headers: bearer(t) });
    assert.equal(e.status, 200, e.text);
    assert.match(e.json.secret, /^[A-Z2-7]{32}$/);
    assert.ok(e.json.otpauth_uri.startsWith('otpauth://totp/openrcm:mfa.owner%40demo.example?'));
    assert.match(e.json.qr_svg, /^<\?xml|^<svg/);
    // the secret is sealed at rest
    const stored = sql(srv, "SELECT hex(mfa_secret) FROM app_user WHERE email = 'mfa.owner@demo.example'");
    assert.ok(stored.length > 80);
    const raw = Buffer.from(e.json.secret.split('').map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c)
      .toString(2).padStart(5, '0')).join('').match(/.{8}/g).map((b) => parseInt(b, 2))).toString('hex').toUpperCase();
    assert.ok(!stored.includes(raw), 'the TOTP secret is not stored in plaintext');

    const wrong = await srv.request('POST', '/v1/auth/mfa/confirm', {
      headers: { ...bearer(t), 'content-type': 'application/json' }, body: JSON.stringify({ code: '000000' }) });
    assertProblem(assert, wrong, 422, 'validation_failed');
    const c = await srv.request('POST', '/v1/auth/mfa/confirm', {
      headers: { ...bearer(t), 'content-type': 'application/json' }, body: JSON.stringify({ code: totp(e.json.secret) }) });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.recovery_codes.length, 10);
    // this session has now passed the second factor
    assert.equal((await srv.request('GET', '/v1/users', { headers: bearer(t) })).status, 200);

    // a new login needs the second factor
    assertProblem(assert, await login({ email: 'mfa.owner@demo.example', password: pw }), 401, 'mfa_required');
    // a code from two minutes ago is refused; the current one works once
    const stale = await login({ email: 'mfa.owner@demo.example', password: pw, totp: totp(e.json.secret, Date.now() / 1000 - 120) });
    assertProblem(assert, stale, 401, 'unauthorized');
    let now = totp(e.json.secret);
    const ok = await login({ email: 'mfa.owner@demo.example', password: pw, totp: now });
    // (the confirm may have used this same step: then wait for the next one)
    let good = ok;
    if (ok.status !== 200) {
      await new Promise((r) => setTimeout(r, 31000 - (Date.now() % 30000)));
      now = totp(e.json.secret);
      good = await login({ email: 'mfa.owner@demo.example', password: pw, totp: now });
    }
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json.mfa_enrolment_required, false);
    assert.equal((await srv.request('GET', '/v1/users', { headers: bearer(good.json.token) })).status, 200);
    // replaying the accepted code is refused
    assertProblem(assert, await login({ email: 'mfa.owner@demo.example', password: pw, totp: now }), 401, 'unauthorized');

    // a recovery code works exactly once
    const code = c.json.recovery_codes[3];
    assert.equal((await login({ email: 'mfa.owner@demo.example', password: pw, recovery_code: code })).status, 200);
    assertProblem(assert, await login({ email: 'mfa.owner@demo.example', password: pw, recovery_code: code }), 401, 'unauthorized');
    // enrolling again is refused while it is on
    assertProblem(assert, await srv.request('POST', '/v1/auth/mfa/enroll', { headers: bearer(good.json.token) }), 409, 'conflict');
    const actions = sql(srv, "SELECT group_concat(action) FROM audit_event WHERE action LIKE 'mfa.%'");
    assert.match(actions, /mfa\.enroll/);
    assert.match(actions, /mfa\.enable/);
  });

  test('roles that do not require it may log in without a second factor', async () => {
    const pw = strongPassword();
    assert.equal(runCli(['user', 'add', '--tenant', 'demo', '--email', 'plain.coder@demo.example', '--name', 'C',
      '--role', 'coder', '--password-file', '-', '--set', `state_dir=${srv.stateDir}`], { input: pw }).code, 0);
    const l = await login({ email: 'plain.coder@demo.example', password: pw });
    assert.equal(l.status, 200);
    assert.equal(l.json.mfa_enrolment_required, false);
  });
});

describe('per-address throttling', () => {
  test('many failed logins from one address are slowed down, whatever the account', async () => {
    const srv = await startServer({ args: ['--demo'] });
    let last;
    for (let i = 0; i < 24; i++) {
      last = await srv.request('POST', '/v1/auth/login', json({ tenant: 'demo',
        email: `nobody${i}@demo.example`, password: `guess number ${i} xxxxxxxx` }));
      if (last.status === 429) break;
      assertProblem(assert, last, 401, 'unauthorized');
    }
    assertProblem(assert, last, 429, 'too_many_requests');
    assert.match(last.json.detail, /address/);
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  });
});
