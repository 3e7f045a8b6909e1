#!/usr/bin/env python3
"""Writes the golden 837 files of this directory (synthetic data, no real
patients). Each <name>.837 has a twin <name>.json holding the same claims as
claim JSON (docs/scrub.md): test_scrub_x12 checks that both map to the same
struct rcm_claim and give identical findings. Run from this directory:
python3 make-golden.py"""

BILL_NPI, REND_NPI, REF_NPI, FAC_NPI, BAD_NPI = "1245319599", "1003000126", "1122334455", "1987654328", "1245319598"


def interchange(version, sets_body, ctl=1):
    segs = [
        "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*RECEIVERID     *260401*1200*^*00501*%09d*0*P*:" % ctl,
        "GS*HC*SUBMITTERID*RECEIVERID*20260401*1200*%d*X*%s" % (ctl, version),
    ]
    st = ["ST*837*0001*%s" % version,
          "BHT*0019*00*BATCH%d*20260401*1200*CH" % ctl,
          "NM1*41*2*SUBMITTER*****46*SUB123",
          "PER*IC*CONTACT*TE*5555551212",
          "NM1*40*2*RECEIVER*****46*REC123"] + sets_body
    st.append("SE*%d*0001" % (len(st) + 1))
    segs += st + ["GE*1*%d" % ctl, "IEA*1*%09d" % ctl]
    return "~\n".join(segs) + "~\n"


def billing(org, npi, taxonomy, zip9="627011234"):
    return ["HL*1**20*1", "PRV*BI*PXC*%s" % taxonomy,
            "NM1*85*2*%s*****XX*%s" % (org, npi), "N3*100 CLINIC RD",
            "N4*SPRINGFIELD*IL*%s" % zip9, "REF*EI*371234567"]


SUBSCRIBER = ["NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73", "N3*1 MAIN ST",
              "N4*SPRINGFIELD*IL*62701", "DMG*D8*19500401*F"]
PAYER = ["NM1*PR*2*MEDICARE PART B*****PI*00882"]


def write(name, text):
    with open(name, "w") as f:
        f.write(text)


# ---- 837P ---------------------------------------------------------------
# clean-837p: the claim of ../base.json (diagnosis codes without the dot).
clean_p = billing("SPRINGFIELD FAMILY CLINIC", BILL_NPI, "207Q00000X") + [
    "HL*2*1*22*0", "SBR*P*18*******MB"] + SUBSCRIBER + PAYER + [
    "CLM*PCN-0001*250***11:B:1*Y*A*Y*Y",
    "HI*ABK:E119*ABF:I10",
    "NM1*82*1*SMITH*ANN****XX*%s" % REND_NPI, "PRV*PE*PXC*207Q00000X",
    "LX*1", "SV1*HC:99214:25*150*UN*1***1:2", "DTP*472*D8*20260302",
    "LX*2", "SV1*HC:G0438*100*UN*1***1", "DTP*472*D8*20260302"]
write("clean-837p.837", interchange("005010X222A1", clean_p))

# findings-837p: two billing providers; claim 1 (the patient is the
# subscriber's child; referring and facility providers) has a bad line
# rendering NPI, a pointer to a missing diagnosis, 99214 over its MUE and the
# 99214/36415 PTP pair; claim 2 (secondary, SBR05 12) is a replacement (7)
# without the payer's claim number under a billing provider with a bad NPI
# and a 5-digit ZIP.
find_p = billing("SPRINGFIELD FAMILY CLINIC", BILL_NPI, "207Q00000X") + [
    "HL*2*1*22*1", "SBR*P********MB"] + SUBSCRIBER + PAYER + [
    "HL*3*2*23*0", "PAT*19",
    "NM1*QC*1*DOE*JIM", "N3*1 MAIN ST", "N4*SPRINGFIELD*IL*62701", "DMG*D8*20100615*M",
    "CLM*PCN-0002*170***11:B:1*Y*A*Y*Y",
    "HI*ABK:J069*ABF:R05.9",
    "NM1*DN*1*JONES*AMY****XX*%s" % REF_NPI,
    "NM1*82*1*SMITH*ANN****XX*%s" % REND_NPI, "PRV*PE*PXC*207Q00000X",
    "NM1*77*2*SPRINGFIELD ANNEX*****XX*%s" % FAC_NPI, "N3*200 ANNEX WAY",
    "N4*SPRINGFIELD*IL*627015555",
    "LX*1", "SV1*HC:99214*150*UN*2*11**1:3", "DTP*472*D8*20260302",
    "NM1*82*1*BROWN*TOM****XX*%s" % BAD_NPI,
    "LX*2", "SV1*HC:36415*20*UN*1***1", "DTP*472*RD8*20260302-20260303",
    ] + [
    "HL*4**20*1", "PRV*BI*PXC*207Q00000X",
    "NM1*85*2*SECOND CLINIC*****XX*%s" % BAD_NPI, "N3*9 OAK ST",
    "N4*SPRINGFIELD*IL*62701", "REF*EI*371234567",
    "HL*5*4*22*0", "SBR*S*18***12****MB"] + SUBSCRIBER + PAYER + [
    "CLM*PCN-0003*100***11:B:7*Y*A*Y*Y",
    "HI*ABK:I10",
    "LX*1", "SV1*HC:G0438:GT*100*UN*1*99**1", "DTP*472*D8*20260302"]
write("findings-837p.837", interchange("005010X222A1", find_p, 2))

# ---- 837I ---------------------------------------------------------------
clean_i = billing("SPRINGFIELD HOSPITAL", BILL_NPI, "282N00000X") + [
    "HL*2*1*22*0", "SBR*P*18*******MB"] + SUBSCRIBER + PAYER + [
    "CLM*PCN-I-0001*170***13:A:1**A*Y*Y",
    "DTP*434*RD8*20260302-20260302",
    "CL1*3**01",
    "HI*ABK:E119:::::::Y",
    "HI*ABF:I10:::::::Y",
    "NM1*71*1*SMITH*ANN****XX*%s" % REND_NPI, "PRV*AT*PXC*207Q00000X",
    "LX*1", "SV2*0450*HC:99284*150*UN*1", "DTP*472*D8*20260302",
    "LX*2", "SV2*0300*HC:36415*20*UN*1", "DTP*472*D8*20260302"]
write("clean-837i.837", interchange("005010X223A2", clean_i, 3))

# findings-837i: claim 1 is a void (8) without the original reference, a
# diagnosis without POA and a line dated after the statement period; claim 2
# (rendering 2310D, facility 2310E, referring 2310F, line rendering 2420C)
# totals 200.00 over lines of 170.00.
find_i = billing("SPRINGFIELD HOSPITAL", BILL_NPI, "282N00000X") + [
    "HL*2*1*22*0", "SBR*P*18*******MB"] + SUBSCRIBER + PAYER + [
    "CLM*PCN-I-0002*170***13:A:8**A*Y*Y",
    "DTP*434*RD8*20260302-20260303",
    "CL1*3**01",
    "HI*ABK:E119:::::::Y",
    "HI*ABF:I10",
    "NM1*71*1*SMITH*ANN****XX*%s" % REND_NPI, "PRV*AT*PXC*207Q00000X",
    "LX*1", "SV2*0450*HC:99284*150*UN*1", "DTP*472*D8*20260302",
    "LX*2", "SV2*0300*HC:36415*20*UN*1", "DTP*472*D8*20260305",
    "CLM*PCN-I-0003*200***13:A:1**A*Y*Y",
    "DTP*434*RD8*20260302-20260302",
    "CL1*3**01",
    "HI*ABK:E119:::::::Y",
    "NM1*71*1*SMITH*ANN****XX*%s" % REND_NPI, "PRV*AT*PXC*207Q00000X",
    "NM1*82*1*GREEN*LEE****XX*%s" % REND_NPI,
    "NM1*77*2*SPRINGFIELD ANNEX*****XX*%s" % FAC_NPI, "N3*200 ANNEX WAY",
    "N4*SPRINGFIELD*IL*627015555",
    "NM1*DN*1*JONES*AMY****XX*%s" % REF_NPI,
    "LX*1", "SV2*0450*HC:99284:25*150*UN*1", "DTP*472*D8*20260302",
    "NM1*82*1*BROWN*TOM****XX*%s" % BAD_NPI,
    "LX*2", "SV2*0300*HC:36415*20*UN*1", "DTP*472*D8*20260302"]
write("findings-837i.837", interchange("005010X223A2", find_i, 4))

# ---- CLI-only files -------------------------------------------------------
# bom-837p: clean-837p with a UTF-8 byte order mark and a blank line first.
write("bom-837p.837", "\ufeff\n" + interchange("005010X222A1", clean_p))
# malformed-837p: the clean claim with CLM02 missing and a wrong SE count:
# readable, but the validator rejects it.
bad = [s if not s.startswith("CLM*") else "CLM*PCN-0001****11:B:1*Y*A*Y*Y" for s in clean_p]
text = interchange("005010X222A1", bad, 5)
text = text.replace("SE*%d*0001" % (len(bad) + 6), "SE*99*0001")
write("malformed-837p.837", text)
# unreadable: an ISA whose delimiters cannot be used and nothing else.
write("unreadable.837", "ISA*00*BROKEN~\n")


# ---- JSON twins ------------------------------------------------------------
import json

ADDR_SUB = {"line1": "1 MAIN ST", "city": "SPRINGFIELD", "state": "IL", "zip": "62701"}
SUB = {"last": "DOE", "first": "JANE", "member_id": "1EG4TE5MK73", "birth_date": "1950-04-01",
       "sex": "F", "address": ADDR_SUB}
PAYER_J = {"id": "00882", "name": "MEDICARE PART B", "filing_indicator": "MB", "sequence": "P"}


def bill(org, npi, taxonomy, zip_):
    return {"organization": True, "name": org, "npi": npi, "taxonomy": taxonomy,
            "tin": "371234567", "tin_kind": "EIN",
            "address": {"line1": "100 CLINIC RD", "city": "SPRINGFIELD", "state": "IL",
                        "zip": zip_}}


def prov(last, first, npi, taxonomy=None, org=False, addr=None):
    p = {"organization": org, "name": last, "npi": npi}
    if first:
        p["first"] = first
    if taxonomy:
        p["taxonomy"] = taxonomy
    if addr:
        p["address"] = addr
    return p


ANNEX = {"line1": "200 ANNEX WAY", "city": "SPRINGFIELD", "state": "IL", "zip": "627015555"}

clean_p_j = {
    "kind": "professional", "id": "PCN-0001", "total_charge": "250.00", "facility_code": "11",
    "frequency": "1", "relationship": "18", "payer": PAYER_J, "subscriber": SUB,
    "billing": bill("SPRINGFIELD FAMILY CLINIC", BILL_NPI, "207Q00000X", "627011234"),
    "rendering": prov("SMITH", "ANN", REND_NPI, "207Q00000X"),
    "diagnoses": ["E119", "I10"],
    "lines": [
        {"number": 1, "procedure": "99214", "modifiers": ["25"], "charge": "150.00", "units": "1",
         "from": "2026-03-02", "dx_pointers": [1, 2]},
        {"number": 2, "procedure": "G0438", "charge": "100.00", "units": "1",
         "from": "2026-03-02", "dx_pointers": [1]}]}

find_p_j = [
    {"kind": "professional", "id": "PCN-0002", "total_charge": "170.00", "facility_code": "11",
     "frequency": "1", "relationship": "19", "payer": PAYER_J, "subscriber": SUB,
     "patient": {"last": "DOE", "first": "JIM", "birth_date": "2010-06-15", "sex": "M",
                 "address": ADDR_SUB},
     "billing": bill("SPRINGFIELD FAMILY CLINIC", BILL_NPI, "207Q00000X", "627011234"),
     "referring": prov("JONES", "AMY", REF_NPI),
     "rendering": prov("SMITH", "ANN", REND_NPI, "207Q00000X"),
     "facility": prov("SPRINGFIELD ANNEX", None, FAC_NPI, org=True, addr=ANNEX),
     "diagnoses": ["J069", "R05.9"],
     "lines": [
         {"number": 1, "procedure": "99214", "charge": "150.00", "units": "2", "pos": "11",
          "from": "2026-03-02", "dx_pointers": [1, 3], "rendering_npi": BAD_NPI},
         {"number": 2, "procedure": "36415", "charge": "20.00", "units": "1",
          "from": "2026-03-02", "to": "2026-03-03", "dx_pointers": [1]}]},
    {"kind": "professional", "id": "PCN-0003", "total_charge": "100.00", "facility_code": "11",
     "frequency": "7", "relationship": "18",
     "payer": dict(PAYER_J, sequence="S", insurance_type="12"), "subscriber": SUB,
     "billing": dict(bill("SECOND CLINIC", BAD_NPI, "207Q00000X", "62701"),
                     address={"line1": "9 OAK ST", "city": "SPRINGFIELD", "state": "IL",
                              "zip": "62701"}),
     "diagnoses": ["I10"],
     "lines": [
         {"number": 1, "procedure": "G0438", "modifiers": ["GT"], "charge": "100.00",
          "units": "1", "pos": "99", "from": "2026-03-02", "dx_pointers": [1]}]}]

ATTENDING = prov("SMITH", "ANN", REND_NPI, "207Q00000X")
clean_i_j = {
    "kind": "institutional", "id": "PCN-I-0001", "total_charge": "170.00", "facility_code": "13",
    "frequency": "1", "relationship": "18", "statement_from": "2026-03-02",
    "statement_to": "2026-03-02", "payer": PAYER_J, "subscriber": SUB,
    "billing": bill("SPRINGFIELD HOSPITAL", BILL_NPI, "282N00000X", "627011234"),
    "rendering": ATTENDING,
    "diagnoses": [{"code": "E119", "poa": "Y"}, {"code": "I10", "poa": "Y"}],
    "lines": [
        {"number": 1, "procedure": "99284", "revenue_code": "0450", "charge": "150.00",
         "units": "1", "from": "2026-03-02"},
        {"number": 2, "procedure": "36415", "revenue_code": "0300", "charge": "20.00",
         "units": "1", "from": "2026-03-02"}]}

find_i_j = [
    dict(clean_i_j, id="PCN-I-0002", frequency="8", statement_to="2026-03-03",
         diagnoses=[{"code": "E119", "poa": "Y"}, "I10"],
         lines=[clean_i_j["lines"][0], dict(clean_i_j["lines"][1], **{"from": "2026-03-05"})]),
    dict(clean_i_j, id="PCN-I-0003", total_charge="200.00",
         diagnoses=[{"code": "E119", "poa": "Y"}],
         rendering=prov("GREEN", "LEE", REND_NPI),
         facility=prov("SPRINGFIELD ANNEX", None, FAC_NPI, org=True, addr=ANNEX),
         referring=prov("JONES", "AMY", REF_NPI),
         lines=[dict(clean_i_j["lines"][0], modifiers=["25"], rendering_npi=BAD_NPI),
                clean_i_j["lines"][1]])]

for name, doc in (("clean-837p", clean_p_j), ("findings-837p", find_p_j),
                  ("clean-837i", clean_i_j), ("findings-837i", find_i_j)):
    with open(name + ".json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
