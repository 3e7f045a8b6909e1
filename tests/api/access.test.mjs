// Access policy over the live server: the tenant's security policy
// (second factor for every role, idle timeout, break-glass maximum), user
// management (role, name, disable, unlock) and break-glass access.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertProblem, bearer, enrollMfa, PG, runCli, sql, startServer, strongPassword, world } from './harness.mjs';

describe('tenant security policy', () => {
  let w;
  before(async () => { w = await world({ sets: ['auth.session_idle_s=600'] }); });
  after(async () => { await w.close(); });

  test('every user sees its tenant and policy; the idle default is the server setting', async () => {
    const coder = await w.user('coder', 'policy.coder');
    const r = await w.send('GET', coder.token, '/v1/tenant');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.slug, 'demo');
    assert.equal(typeof r.json.name, 'string');
    assert.deepEqual(r.json.policy, { mfa_required: false, session_idle_s: 600, session_idle_s_is_default: true,
      break_glass_max_minutes: 60 });
    assertProblem(assert, await w.send('PATCH', coder.token, '/v1/tenant', { mfa_required: true }), 403, 'forbidden');
  });

  test('bad policy values are refused and nothing changes', async () => {
    for (const body of [{ session_idle_s: 59 }, { session_idle_s: 1801 }, { session_idle_s: '900' },
      { break_glass_max_minutes: 4 }, { break_glass_max_minutes: 241 }, { mfa_required: 'yes' },
      { idle: 100 }, {}]) {
      assertProblem(assert, await w.send('PATCH', w.owner.token, '/v1/tenant', body), 422, 'validation_failed');
    }
    const r = await w.send('GET', w.owner.token, '/v1/tenant');
    assert.equal(r.json.policy.session_idle_s, 600);
    assert.equal(r.json.policy.break_glass_max_minutes, 60);
    assert.equal(sql(w.srv, "SELECT count(*) FROM audit_event WHERE action = 'tenant.policy.update'"), '0');
  });

  test('the tenant idle timeout applies to sessions; null restores the server default', async () => {
    const admin = await w.user('admin', 'policy.admin');
    const p = await w.send('PATCH', admin.token, '/v1/tenant', { session_idle_s: 120 });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.policy.session_idle_s, 120);
    assert.equal(p.json.policy.session_idle_s_is_default, false);
    assert.equal(sql(w.srv, `SELECT count(*) FROM audit_event WHERE action = 'tenant.policy.update' AND actor_id = ${admin.id}
      AND object_id = '${p.json.id}'`), '1');
    const u = await w.user('biller', 'idle.biller');
    const s1 = (await w.login(u.email, u.password)).json;
    const s2 = (await w.login(u.email, u.password)).json;
    assert.equal(s1.idle_timeout_s, 120);
    // idle 3 minutes: past the tenant's 2 (though within the server's 10)
    const age = async (token, ms) => {
      const id = (await w.send('GET', token, '/v1/me')).json.session_id;
      sql(w.srv, `UPDATE session SET last_seen_ms = last_seen_ms - ${ms}, created_ms = created_ms - ${ms} WHERE id = ${id}`);
    };
    await age(s1.token, 3 * 60000);
    await age(s2.token, 90000);
    const r = await w.send('GET', s1.token, '/v1/me');
    assertProblem(assert, r, 401, 'unauthorized');
    assert.match(r.json.detail, /inactivity/);
    assert.equal((await w.send('GET', s2.token, '/v1/me')).status, 200);
    const back = await w.send('PATCH', admin.token, '/v1/tenant', { session_idle_s: null });
    assert.equal(back.json.policy.session_idle_s, 600);
    assert.equal(back.json.policy.session_idle_s_is_default, true);
    const s3 = (await w.login(u.email, u.password)).json;
    assert.equal(s3.idle_timeout_s, 600);
    await age(s3.token, 3 * 60000);
    assert.equal((await w.send('GET', s3.token, '/v1/me')).status, 200);
  });

  test('mfa_required puts every role without a second factor into enrol-only; API keys are exempt', async () => {
    const comp = await w.user('compliance', 'mfa.compliance');
    const key = (await w.send('POST', w.owner.token, '/v1/api-keys', { name: 'audit export', role: 'compliance' })).json;
    assert.equal((await w.send('GET', comp.token, '/v1/users')).status, 200);
    const on = await w.send('PATCH', w.owner.token, '/v1/tenant', { mfa_required: true });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.json.policy.mfa_required, true);
    // the existing session is enrol-only now
    assertProblem(assert, await w.send('GET', comp.token, '/v1/users'), 403, 'mfa_enrolment_required');
    const me = await w.send('GET', comp.token, '/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json.mfa_ok, false);
    // a new login says so too
    const l = await w.login(comp.email, comp.password);
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.mfa_enrolment_required, true);
    // the API key is not subject to the second factor
    assert.equal((await w.send('GET', key.key, '/v1/audit')).status, 200);
    // enrolling lifts it for the session that enrolled
    await enrollMfa(w.srv, l.json.token);
    assert.equal((await w.send('GET', l.json.token, '/v1/users')).status, 200);
    // the owner (already enrolled) is unaffected; turning the policy off frees un-enrolled users again
    const other = await w.user('compliance', 'mfa.compliance2');
    assertProblem(assert, await w.send('GET', other.token, '/v1/users'), 403, 'mfa_enrolment_required');
    assert.equal((await w.send('PATCH', w.owner.token, '/v1/tenant', { mfa_required: false })).status, 200);
    assert.equal((await w.send('GET', other.token, '/v1/users')).status, 200);
  });
});

describe('user management', () => {
  let w;
  before(async () => { w = await world(); });
  after(async () => { await w.close(); });

  test('disabling ends the sessions, refuses logins and stops the API keys the user made', async () => {
    const admin = await w.user('admin', 'leaving.admin');
    const key = (await w.send('POST', admin.token, '/v1/api-keys', { name: 'sync', role: 'analyst' })).json;
    assert.equal((await w.send('GET', key.key, '/v1/me')).status, 200);
    const d = await w.send('PATCH', w.owner.token, `/v1/users/${admin.id}`, { disabled: true });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.disabled, true);
    assertProblem(assert, await w.send('GET', admin.token, '/v1/me'), 401, 'unauthorized');
    assertProblem(assert, await w.send('GET', key.key, '/v1/me'), 401, 'unauthorized');
    assertProblem(assert, await w.login(admin.email, admin.password), 401, 'unauthorized');
    const e = await w.send('PATCH', w.owner.token, `/v1/users/${admin.id}`, { disabled: false });
    assert.equal(e.json.disabled, false);
    // the password is accepted again (the admin's second factor is asked next)
    assertProblem(assert, await w.login(admin.email, admin.password), 401, 'mfa_required');
    assert.equal((await w.send('GET', key.key, '/v1/me')).status, 200);
    const acts = sql(w.srv, `SELECT group_concat(action) FROM audit_event WHERE object_type = 'user' AND object_id = '${admin.id}'
      AND actor_id = ${w.owner.id}`);
    assert.match(acts, /user\.disable/);
    assert.match(acts, /user\.enable/);
  });

  test('a role change ends the sessions; the new role applies at the next login', async () => {
    const u = await w.user('biller', 'moving.biller');
    const r = await w.send('PATCH', w.owner.token, `/v1/users/${u.id}`, { role: 'compliance', display_name: 'Moved' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.role, 'compliance');
    assert.equal(r.json.display_name, 'Moved');
    assertProblem(assert, await w.send('GET', u.token, '/v1/me'), 401, 'unauthorized');
    const again = await w.login(u.email, u.password);
    assert.equal(again.json.user.role, 'compliance');
    assert.equal((await w.send('GET', again.json.token, '/v1/users')).status, 200);
    const acts = sql(w.srv, `SELECT group_concat(action) FROM audit_event WHERE object_id = '${u.id}' AND object_type = 'user'`);
    assert.match(acts, /user\.role_change/);
    assert.match(acts, /user\.update/);
    // a key never does more than its creator's current role
    const admin = await w.user('admin', 'keymaker.admin');
    const key = (await w.send('POST', admin.token, '/v1/api-keys', { name: 'reports', role: 'analyst' })).json;
    assert.equal((await w.send('GET', key.key, '/v1/me')).status, 200);
    assert.equal((await w.send('PATCH', w.owner.token, `/v1/users/${admin.id}`, { role: 'coder' })).status, 200);
    const refused = await w.send('GET', key.key, '/v1/me');
    assertProblem(assert, refused, 401, 'unauthorized');
    assert.match(refused.json.detail, /creator/);
    assert.equal((await w.send('PATCH', w.owner.token, `/v1/users/${admin.id}`, { role: 'admin' })).status, 200);
    assert.equal((await w.send('GET', key.key, '/v1/me')).status, 200);
  });

  test('only owners touch owners; nobody disables or re-roles themselves', async () => {
    const admin = await w.user('admin', 'rules.admin');
    const coder = await w.user('coder', 'rules.coder');
    const other = await w.user('admin', 'rules.admin2');
    for (const body of [{ role: 'owner' }]) {
      assertProblem(assert, await w.send('PATCH', admin.token, `/v1/users/${coder.id}`, body), 403, 'forbidden');
    }
    for (const body of [{ disabled: true }, { role: 'admin' }, { display_name: 'Renamed by admin' }]) {
      assertProblem(assert, await w.send('PATCH', admin.token, `/v1/users/${w.owner.id}`, body), 403, 'forbidden');
    }
    assertProblem(assert, await w.send('PATCH', admin.token, `/v1/users/${admin.id}`, { disabled: true }), 403, 'forbidden');
    assertProblem(assert, await w.send('PATCH', admin.token, `/v1/users/${admin.id}`, { role: 'biller' }), 403, 'forbidden');
    assertProblem(assert, await w.send('PATCH', w.owner.token, `/v1/users/${w.owner.id}`, { role: 'admin' }), 403, 'forbidden');
    // renaming oneself is fine; an admin manages non-owners
    assert.equal((await w.send('PATCH', admin.token, `/v1/users/${admin.id}`, { display_name: 'Me' })).status, 200);
    assert.equal((await w.send('PATCH', admin.token, `/v1/users/${other.id}`, { role: 'biller' })).status, 200);
    // coders may not manage users at all; bad bodies are refused
    assertProblem(assert, await w.send('PATCH', coder.token, `/v1/users/${other.id}`, { disabled: true }), 403, 'forbidden');
    for (const body of [{}, { role: 'emperor' }, { disabled: 'yes' }, { display_name: '' }, { email: 'x@y.z' }]) {
      assertProblem(assert, await w.send('PATCH', w.owner.token, `/v1/users/${coder.id}`, body), 422, 'validation_failed');
    }
    // an owner grants owner, and the new owner may then demote the first
    const promoted = await w.send('PATCH', w.owner.token, `/v1/users/${coder.id}`, { role: 'owner' });
    assert.equal(promoted.json.role, 'owner');
    assert.equal(sql(w.srv, `SELECT role FROM app_user WHERE id = ${coder.id}`), 'owner');
  });

  test('the last active owner cannot be demoted or disabled (CLI acts as the operator)', async () => {
    const ws = await world();
    try {
      // --demo made an owner of its own: take it out first, leaving chief@ the only active owner
      const demo = runCli(['user', 'disable', '--tenant', 'demo', '--email', 'owner@demo.example', ...ws.state]);
      assert.equal(demo.code, 0, demo.stderr);
      for (const args of [['disable'], ['role', '--role', 'admin']]) {
        const r = runCli(['user', args[0], '--tenant', 'demo', '--email', 'chief@demo.example', ...args.slice(1), ...ws.state]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /last active owner/);
      }
      assert.equal(sql(ws.srv, "SELECT role || disabled FROM app_user WHERE email = 'chief@demo.example'"), 'owner0');
      // with a second owner the first may go (from the CLI: no self-rule there)
      const second = await ws.user('owner', 'second.owner');
      const r = runCli(['user', 'role', '--tenant', 'demo', '--email', 'chief@demo.example', '--role', 'admin', ...ws.state]);
      assert.equal(r.code, 0, r.stderr);
      assertProblem(assert, await ws.send('GET', ws.owner.token, '/v1/me'), 401, 'unauthorized');
      // now the second owner is the last one: an API disable of them is refused for being oneself,
      // and the CLI refuses for being the last
      assertProblem(assert, await ws.send('PATCH', second.token, `/v1/users/${second.id}`, { disabled: true }), 403, 'forbidden');
      const last = runCli(['user', 'disable', '--tenant', 'demo', '--email', 'second.chief@demo.example', ...ws.state]);
      assert.equal(last.code, 1);
      assert.equal(runCli(['user', 'role', '--tenant', 'demo', '--email', 'x@demo.example', ...ws.state]).code, 2);
      assert.equal(runCli(['user', 'unlock', '--tenant', 'demo', '--email', 'nobody@demo.example', ...ws.state]).code, 1);
    } finally {
      await ws.close();
    }
  });

  test('unlock resets the failure counter and lifts a lockout', async () => {
    const u = await w.user('front_desk', 'locked.out');
    sql(w.srv, `UPDATE app_user SET failures = 100, last_failure_ms = ${Date.now()} WHERE id = ${u.id}`);
    const before = await w.send('GET', w.owner.token, `/v1/users/${u.id}`);
    assert.equal(before.json.locked, true);
    assert.equal(before.json.failed_logins, 100);
    const refused = await w.login(u.email, u.password);
    assertProblem(assert, refused, 429, 'too_many_requests');
    assert.match(refused.json.detail, /locked/);
    const r = await w.send('POST', w.owner.token, `/v1/users/${u.id}/unlock`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.locked, false);
    assert.equal(r.json.failed_logins, 0);
    assert.equal((await w.login(u.email, u.password)).status, 200);
    assert.equal(sql(w.srv, `SELECT count(*) FROM audit_event WHERE action = 'user.unlock' AND object_id = '${u.id}'`), '1');
    assertProblem(assert, await w.send('POST', w.owner.token, '/v1/users/999999/unlock'), 404, 'not_found');
    assertProblem(assert, await w.send('POST', w.owner.token, '/v1/users/abc/unlock'), 404, 'not_found');
  });
});

describe('break-glass access', () => {
  let w;
  let coder;
  let comp;
  let patient;      // created by a biller, with an SSN and bank account
  before(async () => {
    w = await world();
    coder = await w.user('coder', 'bg.coder');
    comp = await w.user('compliance', 'bg.compliance');
    const biller = await w.user('biller', 'bg.seed.biller');
    const p = await w.send('POST', biller.token, '/v1/patients', { last_name: 'Vandersnoot', first_name: 'Oriel',
      dob: '1961-04-09', ssn: '219-09-9988', bank_routing: '011000015', bank_account: '44556677' });
    assert.equal(p.status, 201, p.text);
    patient = p.json;
  });
  after(async () => {
    // the reason is never written to the operations log
    assert.ok(!w.srv.stderr.includes('chart review'), 'reason leaked into the log');
    await w.close();
  });
  const reason = 'urgent chart review for a denied claim appeal';
  const perms = async (token) => (await w.send('GET', token, '/v1/me')).json;

  test('reason and minutes are checked; analysts, the api_client role and API keys are refused', async () => {
    for (const body of [{}, { reason: 'too short' }, { reason: 'x'.repeat(501) }, { reason, minutes: 0 },
      { reason, minutes: 61 }, { reason, minutes: '5' }, { reason: 42 }, { reason, why: 'x' },
      // characters, not bytes: 9 characters in 18 bytes is too short
      { reason: 'é'.repeat(9) }]) {
      assertProblem(assert, await w.send('POST', coder.token, '/v1/auth/break-glass', body), 422, 'validation_failed');
    }
    const analyst = await w.user('analyst', 'bg.analyst');
    const client = await w.user('api_client', 'bg.client');
    assertProblem(assert, await w.send('POST', analyst.token, '/v1/auth/break-glass', { reason }), 403, 'forbidden');
    assertProblem(assert, await w.send('POST', client.token, '/v1/auth/break-glass', { reason }), 403, 'forbidden');
    const key = (await w.send('POST', w.owner.token, '/v1/api-keys', { name: 'k', role: 'biller' })).json;
    assertProblem(assert, await w.send('POST', key.key, '/v1/auth/break-glass', { reason }), 403, 'forbidden');
    assertProblem(assert, await w.send('DELETE', key.key, '/v1/auth/break-glass'), 404, 'not_found');
    // an admin who has not passed a second factor (enrol-only) cannot use it to reach patient data
    const pw = strongPassword();
    assert.equal((await w.send('POST', w.owner.token, '/v1/users', { email: 'bg.admin@demo.example',
      display_name: 'A', role: 'admin', password: pw })).status, 201);
    const pending = (await w.login('bg.admin@demo.example', pw)).json;
    assert.equal(pending.mfa_enrolment_required, true);
    assertProblem(assert, await w.send('POST', pending.token, '/v1/auth/break-glass', { reason }), 403,
      'mfa_enrolment_required');
    assert.equal(sql(w.srv, 'SELECT count(*) FROM break_glass'), '0');
  });

  test('a coder gains full patient data for the grant; every record meanwhile is flagged; compliance sees it', async () => {
    const before = await perms(coder.token);
    assert.ok(!before.permissions.includes('phi.financial'));
    assert.equal(before.emergency_until, null);
    // without it: the SSN is masked, and searching by it (which needs phi.financial) is refused
    const masked = await w.send('GET', coder.token, `/v1/patients/${patient.id}`);
    assert.equal(masked.status, 200, masked.text);
    assert.ok(masked.json.masked.includes('ssn'));
    assert.equal(masked.json.ssn, undefined);
    assertProblem(assert, await w.send('POST', coder.token, '/v1/patients/search', { ssn: '219099988' }), 403, 'forbidden');
    const startSeq = Number(sql(w.srv, 'SELECT max(seq) FROM audit_event'));
    const s = await w.send('POST', coder.token, '/v1/auth/break-glass', { reason: 'ärztlicher Notfall Ω', minutes: 5 });
    assert.equal(s.status, 201, s.text);
    assert.deepEqual(s.json.grants, ['phi.read', 'phi.write', 'phi.financial']);
    const ms = Date.parse(s.json.expires_at) - Date.parse(s.json.started_at);
    assert.ok(ms > 4.9 * 60000 && ms <= 5 * 60000 + 1000, String(ms));
    const during = await perms(coder.token);
    for (const p of ['phi.read', 'phi.write', 'phi.financial', 'coding.write']) assert.ok(during.permissions.includes(p), p);
    assert.ok(!during.permissions.includes('user.manage'), 'break-glass grants patient data only');
    assert.equal(during.emergency_until, s.json.expires_at);
    assertProblem(assert, await w.send('GET', coder.token, '/v1/users'), 403, 'forbidden');
    // one grant at a time
    assertProblem(assert, await w.send('POST', coder.token, '/v1/auth/break-glass', { reason }), 409, 'conflict');
    // full, unmasked patient data: the financial fields and searching by SSN
    const full = await w.send('GET', coder.token, `/v1/patients/${patient.id}`);
    assert.equal(full.status, 200, full.text);
    assert.deepEqual(full.json.masked, []);
    assert.equal(full.json.ssn, '219099988');
    assert.equal(full.json.bank_account, '44556677');
    const found = await w.send('POST', coder.token, '/v1/patients/search', { ssn: '219099988' });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.json.patients.map((x) => x.id), [patient.id]);
    // every audited action under the grant is flagged
    const mine = sql(w.srv, `SELECT group_concat(action || ':' || emergency) FROM audit_event WHERE seq > ${startSeq}
      AND actor_id = ${coder.id} AND actor_type = 'user'`);
    assert.equal(mine, 'break_glass.start:1,patient.read:1,patient.search:1');
    // compliance: the grant with its reason and the count of actions; the emergency filter
    const list = await w.send('GET', comp.token, '/v1/break-glass');
    assert.equal(list.status, 200, list.text);
    const g = list.json.grants[0];
    assert.equal(g.user_id, coder.id);
    assert.equal(g.user_email, coder.email);
    assert.equal(g.reason, 'ärztlicher Notfall Ω');
    assert.equal(g.active, true);
    assert.equal(g.ended_at, null);
    assert.equal(g.actions, 2);
    // the patient's access history shows the emergency read
    const history = await w.send('GET', comp.token, `/v1/audit?patient=${patient.id}&emergency=true`);
    assert.ok(history.json.events.some((e) => e.action === 'patient.read' && e.actor_id === coder.id && e.emergency));
    assert.equal(g.id, s.json.id);
    const flagged = await w.send('GET', comp.token, '/v1/audit?emergency=true&limit=1000');
    assert.equal(flagged.status, 200, flagged.text);
    assert.ok(flagged.json.events.length >= 3);
    assert.ok(flagged.json.events.every((e) => e.emergency === true));
    assert.ok(flagged.json.events.some((e) => e.action === 'break_glass.start' && e.object_id === String(s.json.id)));
    const plain = await w.send('GET', comp.token, '/v1/audit?emergency=false&limit=1000');
    assert.ok(plain.json.events.length > 0 && plain.json.events.every((e) => e.emergency === false));
    assertProblem(assert, await w.send('GET', comp.token, '/v1/audit?emergency=maybe'), 422, 'validation_failed');
    assertProblem(assert, await w.send('GET', coder.token, '/v1/break-glass'), 403, 'forbidden');
    // the reason is stored with the grant only, never in the audit records
    assert.equal(sql(w.srv, "SELECT count(*) FROM audit_event WHERE object_id LIKE '%Notfall%' OR action LIKE '%Notfall%'"), '0');
    // and sealed there (migration 0021): no plaintext column, no plaintext bytes in the envelope or the file
    assert.equal(sql(w.srv, 'SELECT count(*) FROM break_glass WHERE reason IS NOT NULL'), '0');
    assert.equal(sql(w.srv, 'SELECT count(*) FROM break_glass WHERE reason_sealed IS NULL'), '0');
    assert.equal(sql(w.srv, `SELECT count(*) FROM break_glass WHERE ${PG ? "position(convert_to('Notfall', 'UTF8') in reason_sealed) > 0"
      : "instr(reason_sealed, CAST('Notfall' AS BLOB)) > 0"}`), '0');
    if (!PG) {
      sql(w.srv, 'PRAGMA wal_checkpoint(TRUNCATE)');
      for (const f of ['openrcm.db', 'openrcm.db-wal']) {
        const p = join(w.srv.stateDir, f);
        if (existsSync(p)) assert.ok(!readFileSync(p).includes(Buffer.from('Notfall')), `${f} holds the reason`);
      }
    }
    // ending it early
    const end = await w.send('DELETE', coder.token, '/v1/auth/break-glass');
    assert.equal(end.status, 200, end.text);
    const afterEnd = await perms(coder.token);
    assert.ok(!afterEnd.permissions.includes('phi.financial'));
    assert.equal(afterEnd.emergency_until, null);
    assertProblem(assert, await w.send('DELETE', coder.token, '/v1/auth/break-glass'), 404, 'not_found');
    const again = await w.send('GET', coder.token, `/v1/patients/${patient.id}`);
    assert.ok(again.json.masked.includes('ssn'));
    assertProblem(assert, await w.send('POST', coder.token, '/v1/patients/search', { ssn: '219099988' }), 403, 'forbidden');
    const last = sql(w.srv, `SELECT group_concat(action || ':' || emergency) FROM audit_event WHERE seq > ${startSeq}
      AND actor_id = ${coder.id} AND actor_type = 'user' AND action LIKE 'break_glass.%'`);
    assert.equal(last, 'break_glass.start:1,break_glass.end:1');
    assert.equal(sql(w.srv, `SELECT emergency FROM audit_event WHERE actor_id = ${coder.id} ORDER BY seq DESC LIMIT 1`), '0');
    const ended = (await w.send('GET', comp.token, '/v1/break-glass')).json.grants[0];
    assert.equal(ended.active, false);
    assert.equal(ended.ended_by, 'user');
    assert.equal(ended.actions, 2);
  });

  test('a grant ends by itself at expiry, and on logout', async () => {
    const biller = await w.user('biller', 'bg.biller');
    const s = await w.send('POST', biller.token, '/v1/auth/break-glass', { reason, minutes: 1 });
    assert.equal(s.status, 201, s.text);
    assert.ok((await perms(biller.token)).emergency_until);
    // move the grant two minutes into the past (the clock of the database is the test's control)
    sql(w.srv, `UPDATE break_glass SET started_ms = started_ms - 120000, expires_ms = expires_ms - 120000 WHERE id = ${s.json.id}`);
    sql(w.srv, `UPDATE session SET emergency_until_ms = emergency_until_ms - 120000 WHERE emergency_until_ms > 0
      AND user_id = ${biller.id}`);
    const me = await perms(biller.token);
    assert.equal(me.emergency_until, null);
    assert.ok(me.permissions.includes('phi.financial'), 'a biller keeps its own phi.financial');
    assert.ok(!me.permissions.includes('coding.write'));
    assert.equal((await w.send('POST', biller.token, '/v1/auth/mfa/enroll')).status, 200);
    assert.equal(sql(w.srv, `SELECT emergency FROM audit_event WHERE actor_id = ${biller.id} ORDER BY seq DESC LIMIT 1`), '0');
    const g = (await w.send('GET', comp.token, '/v1/break-glass')).json.grants.find((x) => x.id === s.json.id);
    assert.equal(g.active, false);
    assert.equal(g.ended_by, 'expiry');
    // the expiry is a flagged record in the tenant's log, written once
    assert.equal(sql(w.srv, `SELECT count(*) || ' ' || min(emergency) || ' ' || min(actor_type) FROM audit_event
      WHERE action = 'break_glass.expire' AND object_id = '${s.json.id}'`), '1 1 system');
    await w.send('GET', comp.token, '/v1/break-glass');
    assert.equal(sql(w.srv, `SELECT count(*) FROM audit_event WHERE action = 'break_glass.expire'
      AND object_id = '${s.json.id}'`), '1');
    assertProblem(assert, await w.send('DELETE', biller.token, '/v1/auth/break-glass'), 404, 'not_found');
    // a new grant is possible after expiry; logging out ends it
    const again = await w.send('POST', biller.token, '/v1/auth/break-glass', { reason, minutes: 2 });
    assert.equal(again.status, 201, again.text);
    assert.equal((await w.send('POST', biller.token, '/v1/auth/logout')).status, 200);
    const g2 = (await w.send('GET', comp.token, '/v1/break-glass')).json.grants.find((x) => x.id === again.json.id);
    assert.equal(g2.active, false);
    assert.equal(g2.ended_by, 'user');
    assert.equal(sql(w.srv, `SELECT count(*) FROM audit_event WHERE action = 'break_glass.end' AND object_id = '${again.json.id}'`), '1');
  });

  test('the tenant maximum bounds the grant; disabling the user ends it', async () => {
    assert.equal((await w.send('PATCH', w.owner.token, '/v1/tenant', { break_glass_max_minutes: 5 })).status, 200);
    const fd = await w.user('front_desk', 'bg.frontdesk');
    assertProblem(assert, await w.send('POST', fd.token, '/v1/auth/break-glass', { reason, minutes: 6 }), 422, 'validation_failed');
    const s = await w.send('POST', fd.token, '/v1/auth/break-glass', { reason });
    assert.equal(s.status, 201, s.text);
    assert.equal(s.json.minutes, 5);
    assert.equal((await w.send('PATCH', w.owner.token, `/v1/users/${fd.id}`, { disabled: true })).status, 200);
    const g = (await w.send('GET', comp.token, '/v1/break-glass')).json.grants.find((x) => x.id === s.json.id);
    assert.equal(g.active, false);
    const v = runCli(['audit', 'verify', ...w.state]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });
});

describe('access policy in a client practice of a billing company', () => {
  let srv;
  const pw = {};
  const state = () => ['--set', `state_dir=${srv.stateDir}`];
  const addUser = (tenant, email, role) => {
    pw[email] = strongPassword();
    const r = runCli(['user', 'add', '--tenant', tenant, '--email', email, '--name', email, '--role', role,
      '--password-file', '-', ...state()], { input: `${pw[email]}\n` });
    assert.equal(r.code, 0, r.stderr);
  };
  const login = async (tenant, email) => {
    const l = await srv.request('POST', '/v1/auth/login', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, email, password: pw[email] }) });
    assert.equal(l.status, 200, l.text);
    return l.json;
  };
  const call = (token, method, path, body) => srv.request(method, path, {
    headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

  before(async () => {
    srv = await startServer();
    assert.equal(runCli(['tenant', 'add', '--slug', 'billco', '--name', 'Billing Co', ...state()]).code, 0);
    const c = runCli(['tenant', 'add', '--slug', 'clinic', '--name', 'Clinic', '--manager', 'billco', ...state()]);
    assert.equal(c.code, 0, c.stderr);
    addUser('billco', 'staff@billco.example', 'biller');
    addUser('clinic', 'admin@clinic.example', 'admin');
    // the company's staff work only in the clients assigned to them (clients.test.mjs)
    const a = runCli(['tenant', 'assign', '--manager', 'billco', '--client', 'clinic', '--email', 'staff@billco.example',
      '--role', 'biller', ...state()]);
    assert.equal(a.code, 0, a.stderr);
  });
  after(async () => {
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  });

  test('the client cannot change the company staff; its policy binds them while they act in it', async () => {
    const admin = await login('clinic', 'admin@clinic.example');
    await enrollMfa(srv, admin.token);
    const inClinic = await login('clinic', 'staff@billco.example');
    const atHome = await login('billco', 'staff@billco.example');
    const staffId = inClinic.user.id;
    // the company's staff are not the clinic's users to change or unlock
    assertProblem(assert, await call(admin.token, 'PATCH', `/v1/users/${staffId}`, { disabled: true }), 404, 'not_found');
    assertProblem(assert, await call(admin.token, 'PATCH', `/v1/users/${staffId}`, { role: 'coder' }), 404, 'not_found');
    assertProblem(assert, await call(admin.token, 'POST', `/v1/users/${staffId}/unlock`), 404, 'not_found');
    assert.equal((await call(inClinic.token, 'GET', '/v1/me')).json.role, 'biller');
    // the clinic requires a second factor: the staff's clinic session is enrol-only, their home session is not
    assert.equal((await call(admin.token, 'PATCH', '/v1/tenant', { mfa_required: true })).status, 200);
    assertProblem(assert, await call(inClinic.token, 'GET', '/v1/patients'), 403, 'mfa_enrolment_required');
    assert.equal((await call(atHome.token, 'GET', '/v1/patients')).status, 200);
    assert.equal((await call(atHome.token, 'GET', '/v1/tenant')).json.policy.mfa_required, false);
    assert.equal((await call(inClinic.token, 'GET', '/v1/tenant')).json.slug, 'clinic');
    // a break-glass grant of the staff in the clinic is the clinic's to review, not the company's
    assert.equal((await call(admin.token, 'PATCH', '/v1/tenant', { mfa_required: false })).status, 200);
    const bg = await call(inClinic.token, 'POST', '/v1/auth/break-glass', { reason: 'covering the clinic front desk today' });
    assert.equal(bg.status, 201, bg.text);
    const clinicGrants = (await call(admin.token, 'GET', '/v1/break-glass')).json.grants;
    assert.deepEqual(clinicGrants.map((g) => [g.id, g.user_id, g.user_email]), [[bg.json.id, staffId, 'staff@billco.example']]);
    assert.equal((await call(inClinic.token, 'DELETE', '/v1/auth/break-glass')).status, 200);
  });
});
