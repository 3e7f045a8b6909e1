#!/bin/sh
# test_cli_raf.sh — `openrcm raf` end to end: the 200-member golden set for
# both models, exit codes (0 clean, 1 input problems, 2 usage/I-O), problem
# messages with file, line and member id, the diagnosis-file path with gap
# flags, JSON Lines output and blends. Needs OPENRCM (the binary) and SRC.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
G="$SRC/tests/golden/risk"
DATA="--set reference_dir=$SRC/data"

# Golden: columns 1-4 of both models equal the expected file.
for m in V24 V28; do
    "$OPENRCM" raf $DATA --model $m --payment-year 2026 --members "$G/members_200.csv" \
        --out "$T/$m.csv" 2> "$T/err.$m" || fail "golden $m exit $?"
    # Not a terminal: no progress bar, nothing at all on stderr.
    [ -s "$T/err.$m" ] && fail "unexpected stderr: $(cat "$T/err.$m")"
done
# On a terminal the progress bar is drawn (and erased) on stderr.
if command -v script > /dev/null 2>&1; then
    script -qec "\"$OPENRCM\" raf $DATA --model V28 --payment-year 2026 --members \"$G/members_200.csv\" --out \"$T/tty.csv\"" \
        "$T/typescript" > /dev/null 2>&1 || fail "tty run"
    grep -q '200 members' "$T/typescript" || fail "no progress bar on a terminal"
    cmp -s "$T/tty.csv" "$T/V28.csv" || fail "tty output differs"
fi
{ tail -n +2 "$T/V24.csv"; tail -n +2 "$T/V28.csv"; } | cut -d, -f1-4 | LC_ALL=C sort > "$T/got"
tail -n +2 "$G/expected_spec_2026map_200.csv" | tr -d '\r' | LC_ALL=C sort > "$T/want"
cmp -s "$T/got" "$T/want" || { diff "$T/got" "$T/want" | head; fail "golden mismatch"; }
[ "$(wc -l < "$T/got")" -eq 400 ] || fail "golden row count"
head -1 "$T/V28.csv" | grep -q '^member_id,model,raf,hccs,payment_year,segment,age,normalized,payment,blend_weight$' \
    || fail "CSV header"
# Standard input works the same.
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 < "$G/members_200.csv" > "$T/stdin.csv" \
    || fail "stdin exit"
cmp -s "$T/stdin.csv" "$T/V28.csv" || fail "stdin output differs"
# Threads do not change the output.
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$G/members_200.csv" --threads 3 \
    > "$T/t3.csv" || fail "threads exit"
cmp -s "$T/t3.csv" "$T/V28.csv" || fail "--threads 3 output differs"

# Usage and I/O errors: exit 2.
"$OPENRCM" raf $DATA --payment-year 2026 < /dev/null > /dev/null 2>&1; [ $? -eq 2 ] || fail "no --model"
"$OPENRCM" raf $DATA --model V99 --payment-year 2026 < /dev/null > /dev/null 2>&1; [ $? -eq 2 ] || fail "bad model"
"$OPENRCM" raf $DATA --model V28 --payment-year 2031 < /dev/null > /dev/null 2>"$T/err"; [ $? -eq 2 ] || fail "no tables"
grep -q "no V28 tables for payment year 2031" "$T/err" || fail "no-tables message"
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/nope.csv" > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing file"
"$OPENRCM" raf --set reference_dir="$T" --model V28 --payment-year 2026 < /dev/null > /dev/null 2>&1; [ $? -eq 2 ] || fail "missing tables"
"$OPENRCM" raf --help | grep -q "payment-year" || fail "--help"

# Malformed rows: reported with file, line, member id; the run goes on; exit 1.
cat > "$T/bad.csv" <<'CSV'
member_id,dob,sex,orec,elig,medicaid,dx
A1,1950-01-01,F,0,CNA,0,E1122
A2,1950-02-30,F,0,CNA,0,E1122
A3,1950-01-01,Q,0,CNA,0,
A4,1950-01-01,M,0,XYZ,0,
A5,1950-01-01,M,0,CNA,0,E11$22;E119
CSV
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/bad.csv" > "$T/out" 2> "$T/err"
[ $? -eq 1 ] || fail "malformed rows should exit 1"
grep -q "members:3: member A2: dob" "$T/err" || fail "bad date message"
grep -q "members:4: member A3: unknown sex" "$T/err" || fail "bad sex message"
grep -q "members:5: member A4: unknown segment" "$T/err" || fail "bad segment message"
grep -q "members:6: member A5: dx item 1" "$T/err" || fail "bad code message"
grep -q '1950' "$T/err" && fail "a field value leaked into a message"
[ "$(tail -n +2 "$T/out" | cut -d, -f1 | tr '\n' ' ')" = "A1 A5 " ] || fail "scored rows"

# Diagnosis file: data year scores, prior year and lab results become gaps.
cat > "$T/m.csv" <<'CSV'
member_id,dob,sex,orec,dual_elgbl_cd,medicaid,lti,new_enrollee,snp
D1,1950-06-01,F,0,02,1,0,0,0
D2,1955-06-01,M,0,00,0,0,0,0
CSV
cat > "$T/d.csv" <<'CSV'
member_id,code,dos,source
D1,I50.22,2025-03-01,professional
D1,E11.22,2024-04-01,professional
D1,F20.0,2024-05-01,tob:131
D1,J44.9,2025-06-01,lab
D2,E11.9,2025-01-15,
CSV
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/m.csv" --diagnoses "$T/d.csv" \
    --gaps "$T/gaps.csv" > "$T/out" || fail "diagnosis file exit $?"
grep -q '^D1,V28,[0-9.]*,HCC226,2026,CFA,75,' "$T/out" || fail "D1 row: $(cat "$T/out")"
grep -q '^D2,V28,[0-9.]*,HCC38,2026,CNA,70,' "$T/out" || fail "D2 row"
head -1 "$T/gaps.csv" | grep -q '^member_id,model,rank,hcc,kind,raf_impact,evidence_dx$' || fail "gaps header"
[ "$(grep -c '^D1,V28,' "$T/gaps.csv")" -eq 3 ] || fail "D1 gaps: $(cat "$T/gaps.csv")"
grep -q '^D1,V28,[123],HCC37,recapture,[0-9.]*,E1122$' "$T/gaps.csv" || fail "HCC37 gap"
grep -q '^D1,V28,[123],HCC151,recapture,' "$T/gaps.csv" || fail "HCC151 gap"
grep -q '^D1,V28,[123],HCC280,suspect,[0-9.]*,J449$' "$T/gaps.csv" || fail "HCC280 suspect"
# Ranked by impact: the impacts are non-increasing.
grep '^D1,' "$T/gaps.csv" | cut -d, -f6 | awk 'NR>1 && $1>prev {exit 1} {prev=$1}' || fail "gap ranking"
# Population-wide top N equals the per-member worklists merged by impact
# (ties: input order, then HCC). Every reference member's codes as last year's.
tr -d '\r' < "$G/members_200.csv" > "$T/lf200.csv"
cut -d, -f1-11 "$T/lf200.csv" > "$T/m200.csv"
awk -F, 'NR == 1 { print "member_id,code,dos,source"; next }
         { n = split($12, c, ";"); for (i = 1; i <= n; i++) if (c[i] != "") print $1 "," c[i] ",2024-06-01," }' \
    "$T/lf200.csv" > "$T/d200.csv"
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/m200.csv" --diagnoses "$T/d200.csv" \
    --gaps "$T/g200.csv" > /dev/null || fail "gaps 200 exit"
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/m200.csv" --diagnoses "$T/d200.csv" \
    --gaps "$T/top.csv" --gaps-top 40 --threads 2 > /dev/null || fail "gaps-top exit"
[ "$(tail -n +2 "$T/g200.csv" | wc -l)" -gt 100 ] || fail "too few gaps"
tail -n +2 "$T/g200.csv" | sort -t, -k6,6gr -s | head -40 | awk -F, '{ print NR "," $1 "," $2 "," $4 "," $5 "," $6 "," $7 }' > "$T/top.want"
tail -n +2 "$T/top.csv" > "$T/top.got"
cmp -s "$T/top.got" "$T/top.want" || { diff "$T/top.got" "$T/top.want" | head; fail "--gaps-top"; }
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/m200.csv" --gaps-top 5 \
    > /dev/null 2>&1; [ $? -eq 2 ] || fail "--gaps-top without --gaps"

# Unsorted diagnosis file: exit 2.
printf 'member_id,code\nD2,E119\nD1,E119\n' > "$T/d2.csv"
"$OPENRCM" raf $DATA --model V28 --payment-year 2026 --members "$T/m.csv" --diagnoses "$T/d2.csv" \
    > /dev/null 2> "$T/err"; [ $? -eq 2 ] || fail "unsorted diagnoses should exit 2"
grep -q "not sorted" "$T/err" || fail "unsorted message"

# JSON Lines with the explanation; blend.
"$OPENRCM" raf $DATA --model V24 --payment-year 2026 --json --members "$G/members_200.csv" > "$T/j" \
    || fail "json exit"
[ "$(wc -l < "$T/j")" -eq 200 ] || fail "json lines"
grep -q '^{"member_id":"M0000001","model":"V24","payment_year":2026,"segment":"CFA","age":72,.*"raf":2.831,.*"hccs":\[18,39,40,48,111,122\],"terms":\[' "$T/j" \
    || fail "json M0000001"
"$OPENRCM" raf $DATA --model blend --payment-year 2024 --members "$G/members_200.csv" > "$T/b" || fail "blend exit"
head -1 "$T/b" | grep -q '^member_id,payment_year,v24_raf,v24_hccs,v24_payment,v28_raf,v28_hccs,v28_payment,blended_payment$' \
    || fail "blend header"
[ "$(wc -l < "$T/b")" -eq 201 ] || fail "blend rows"
echo "ok"
