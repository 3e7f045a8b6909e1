-- 0022 — indexes for the A/R reports (src/store/store_report.c,
-- docs/reports.md; measured in bench/RESULTS.md, "A/R reports").
--
-- claim_ar covers the A/R aging report (and the timely-filing claims): the
-- claims of a tenant in the states that count in A/R, with every column the
-- aging groups and sums, so the report reads the index alone instead of
-- every claim row. claim_by_adjudicated serves the claims adjudicated in a
-- period (denials by payer: each payer's denial rate).
CREATE INDEX claim_ar ON claim(tenant_id, state, payer_ref, billing_provider_id,
    rendering_provider_id, service_from, first_submitted_day, charge_cents, paid_cents,
    adjustment_cents, patient_resp_cents);
CREATE INDEX claim_by_adjudicated ON claim(tenant_id, adjudicated_day);
