// A small 835 (X12 5010 X221A1) writer for tests, and claims made with SQL
// for it to pay (the claim store is another module's). Segment counts and
// control numbers are right, so the files validate clean.
import { dbQuery } from './harness.mjs';

const amt = (cents) => {
  const neg = cents < 0;
  const a = Math.abs(cents);
  let s = `${Math.trunc(a / 100)}`;
  const c = a % 100;
  if (c) s += `.${String(c).padStart(2, '0').replace(/0$/, '')}`;
  return neg ? `-${s}` : s;
};
const pad = (s, n) => String(s).padEnd(n, ' ');

// remits: [{ trace, payer_id, date: 'YYYYMMDD', plb: [{reason, ref, cents}], claims: [
//   { control, status, charge, paid, pr, icn, lines: [{ proc, charge, paid, cas: [[group, carc, cents]] }] } ] }]
// One interchange per remittance, concatenated.
export function write835(remits, { firstControl = 101 } = {}) {
  let out = '';
  remits.forEach((r, k) => {
    const ctl = firstControl + k;
    const isa13 = String(ctl).padStart(9, '0');
    const segs = [];
    const paid = r.claims.reduce((s, c) => s + c.paid, 0) - (r.plb ?? []).reduce((s, p) => s + p.cents, 0);
    const date = r.date ?? '20240305';
    segs.push('ST*835*0001');
    segs.push(`BPR*I*${amt(paid)}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*${date}`);
    segs.push(`TRN*1*${r.trace}*1512345678`);
    segs.push(`N1*PR*ACME HEALTH PLAN`);
    segs.push('N3*1 MAIN ST');
    segs.push('N4*SPRINGFIELD*IL*62701');
    segs.push(`REF*2U*${r.payer_id ?? 'ACME01'}`);
    segs.push('PER*BL*PROVIDER SERVICES*TE*8005551212');
    segs.push('N1*PE*GOOD CLINIC*XX*1234567893');
    segs.push('LX*1');
    for (const c of r.claims) {
      segs.push(`CLP*${c.control}*${c.status ?? '1'}*${amt(c.charge)}*${amt(c.paid)}*${amt(c.pr ?? 0)}*12*${c.icn ?? `ICN${c.control}`}`);
      segs.push('NM1*QC*1*DOE*JANE****MI*M123');
      for (const l of c.lines) {
        segs.push(`SVC*HC:${l.proc}*${amt(l.charge)}*${amt(l.paid)}**1`);
        segs.push('DTM*472*20240210');
        for (const [g, carc, cents] of l.cas ?? []) segs.push(`CAS*${g}*${carc}*${amt(cents)}`);
      }
    }
    if (r.plb?.length) {
      const parts = r.plb.map((p) => `${p.reason}${p.ref ? `:${p.ref}` : ''}*${amt(p.cents)}`);
      segs.push(`PLB*1234567893*20241231*${parts.join('*')}`);
    }
    segs.push(`SE*${segs.length + 1}*0001`);
    out += `ISA*00*${pad('', 10)}*00*${pad('', 10)}*ZZ*${pad('PAYER', 15)}*ZZ*${pad('PROVIDER', 15)}*240301*1200*^*00501*${isa13}*0*T*:~`;
    out += `GS*HP*PAYER*PROVIDER*20240301*1200*${ctl}*X*005010X221A1~`;
    out += segs.map((s) => `${s}~`).join('');
    out += `GE*1*${ctl}~IEA*1*${isa13}~\n`;
  });
  return out;
}

// A simple paid claim payment for a claim made by makeClaims: two lines,
// contractual adjustments, a little deductible on line 1.
export function paidClaim(control, i = 0) {
  const paid1 = 6000 + (i % 97) * 10;
  return {
    control, status: '1', charge: 15000, paid: paid1 + 3000, pr: 1000,
    lines: [
      { proc: '99213', charge: 10000, paid: paid1, cas: [['CO', '45', 10000 - paid1 - 1000], ['PR', '1', 1000]] },
      { proc: '36415', charge: 5000, paid: 3000, cas: [['CO', '45', 2000]] },
    ],
  };
}

// n claims "<prefix><i>" (i = 1..n) in state `state`, two lines each
// (99213 $100, 36415 $50), for patient / payer / provider ids of the tenant.
export function makeClaims(stateDir, { tenant, patient, payer, provider, prefix, n, state = 'accepted', from = 1 }) {
  const enc = Number(dbQuery(stateDir, `INSERT INTO encounter (tenant_id, patient_id, uid, created_ms,
    updated_ms, claim_kind, billing_provider_id, service_from, service_to, diagnoses) VALUES (${tenant},
    ${patient}, '${prefix.padEnd(24, 'e').slice(0, 24)}${String(from).padStart(8, '0')}', 1, 1, 'professional', ${provider}, 19763, 19763,
    'E119') RETURNING id`).split('\n')[0]);
  const seq = `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${from + n - 1})`;
  const cid = (i) => `(SELECT id FROM claim WHERE tenant_id = ${tenant} AND control_number = '${prefix}' || ${i})`;
  dbQuery(stateDir, `${seq} INSERT INTO claim (tenant_id, patient_id, encounter_id, uid, created_ms,
    updated_ms, control_number, state, claim_kind, frequency, sequence, payer_ref, payer_id,
    billing_provider_id, service_from, service_to, charge_cents, fingerprint)
    SELECT ${tenant}, ${patient}, ${enc}, '${prefix.padEnd(24, 'u').slice(0, 24)}' || (10000000 + i), 1, 1,
    '${prefix}' || i, '${state}', 'professional', '1', 'primary', ${payer}, 'ACME01', ${provider},
    19763, 19763, 15000, 'fp' || i FROM n`);
  dbQuery(stateDir, `${seq} INSERT INTO claim_line (tenant_id, claim_id, line_no, procedure,
    units_milli, charge_cents, service_date) SELECT ${tenant}, ${cid('i')}, 1, '99213', 1000, 10000,
    19763 FROM n`);
  dbQuery(stateDir, `${seq} INSERT INTO claim_line (tenant_id, claim_id, line_no, procedure,
    units_milli, charge_cents, service_date) SELECT ${tenant}, ${cid('i')}, 2, '36415', 1000, 5000,
    19763 FROM n`);
}
