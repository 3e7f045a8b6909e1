// The README's "first ten minutes": scripts/first-ten-minutes run as a user
// would, against a live `serve --demo`, on either database. The script stops
// at the first failing step; this test then checks what a biller relies on:
// the 837 in the outbox validates, the claim carries the payer's money and
// claim number, the second post of the same ERA changed nothing, the denial
// was appealed, and the A/R report printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { BIN, databaseEnv, dbQuery, runCli, startServer } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('first ten minutes', () => {
  let srv;
  before(async () => { srv = await startServer({ args: ['--demo'] }); });
  after(async () => {
    await srv.stop();
    srv.cleanup();
  });

  test('patient -> encounter -> claim -> 837 -> 835 posted -> denial worked -> A/R', () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENRCM_')));
    const env = { ...inherited, ...databaseEnv(srv.stateDir), SERVER_URL: `https://127.0.0.1:${srv.port}`,
      STATE_DIR: srv.stateDir, RCM_BIN: BIN };
    const r = spawnSync(join(ROOT, 'scripts', 'first-ten-minutes'), [], { env, encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    if (process.env.WALKTHROUGH_PRINT) console.log(r.stdout);
    assert.match(r.stdout, /== 10\. A\/R/);
    assert.match(r.stdout, /already posted/i, 'the second post says so');
    const outbox = join(srv.stateDir, 'outbox');
    const files = readdirSync(outbox).filter((f) => f.endsWith('.x12'));
    assert.equal(files.length, 1);
    const v = runCli(['x12', 'validate', join(outbox, files[0])]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const claim = dbQuery(srv.stateDir, 'SELECT state, paid_cents, patient_resp_cents, payer_claim_number FROM claim');
    assert.match(claim, /^appealed\|12000\|2000\|ICN/);
    assert.equal(dbQuery(srv.stateDir, 'SELECT count(*) FROM remittance'), '1', 'posted once');
    assert.equal(dbQuery(srv.stateDir, "SELECT state || ':' || carc FROM denial"), 'appealed:50');
  });
});
