#!/bin/sh
# cli_test.sh BIN SRCDIR TMPDIR — `openrcm x12` end to end: exit codes,
# outputs, stdin, split, to-json/from-json round trip.
set -u
BIN=$1; SRC=$2; T=$3
G=$SRC/tests/golden/x12
rm -rf "$T"; mkdir -p "$T"
fails=0
check() { # check NAME EXPECTED_RC ACTUAL_RC
    if [ "$2" != "$3" ]; then echo "FAIL $1: exit $3, want $2"; fails=$((fails+1)); else echo "ok   $1"; fi
}
has() { # has NAME FILE STRING
    if grep -qF -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: '$3' not in $2"; sed -n 1,20p "$2"; fails=$((fails+1)); fi
}
hasnt() {
    if grep -qF -- "$3" "$2"; then echo "FAIL $1: '$3' in $2"; fails=$((fails+1)); else echo "ok   $1"; fi
}

"$BIN" x12 validate "$G/own/837p-minimal.edi" >"$T/v1" 2>&1; check "valid file exits 0" 0 $?
has "summary" "$T/v1" "1 transaction set(s): 1 accepted, 0 rejected"
"$BIN" x12 validate - <"$G/own/835-minimal.edi" >"$T/v2" 2>&1; check "stdin" 0 $?
"$BIN" x12 validate "$G/samples/835-managed-care.edi" >"$T/v3" 2>&1; check "invalid file exits 1" 1 $?
has "text finding" "$T/v3" "error invalid_date at byte"
hasnt "text output has no values" "$T/v3" "20002316"
"$BIN" x12 validate --json "$G/samples/835-managed-care.edi" >"$T/v4" 2>&1; check "json exits 1" 1 $?
has "json accepted" "$T/v4" '"accepted": false'
has "json finding" "$T/v4" '"code":"invalid_date"'
has "json bad value" "$T/v4" '"bad_value":"20002316"'
"$BIN" x12 validate "$T/nonexistent" >"$T/v5" 2>&1; check "missing file exits 2" 2 $?
has "missing file message" "$T/v5" "cannot open"
"$BIN" x12 >/dev/null 2>&1; check "no args exits 2" 2 $?
"$BIN" x12 validate >/dev/null 2>&1; check "no file exits 2" 2 $?
"$BIN" x12 validate --help >"$T/h" 2>&1; check "help exits 0" 0 $?
has "help text" "$T/h" "usage: openrcm x12 validate"
"$BIN" x12 frobnicate x >/dev/null 2>&1; check "unknown subcommand exits 2" 2 $?

"$BIN" x12 ack "$G/own/835-minimal.edi" >"$T/a1" 2>&1; check "ack accepted exits 0" 0 $?
has "ack 999" "$T/a1" "ST*999*0001*005010X231A1~"
has "ack AK2 for 835" "$T/a1" "AK2*835*0001~"
has "ack IK5" "$T/a1" "IK5*A~"
"$BIN" x12 ack "$G/samples/835-managed-care.edi" >"$T/a2" 2>&1; check "ack rejected exits 1" 1 $?
has "ack IK4" "$T/a2" "IK4*16*373*8*20002316~"
"$BIN" x12 validate "$T/a2" >"$T/a3" 2>&1; check "our 999 validates against X231A1" 0 $?

for f in 270-full 271-full 276-full; do
    "$BIN" x12 validate "$G/own/$f.edi" >"$T/e1" 2>&1; check "$f validates (openrcm map)" 0 $?
done
"$BIN" x12 ack "$G/samples/270-dependent.edi" >"$T/e2" 2>&1; check "270 ack exits 0" 0 $?
has "270 ack AK2" "$T/e2" "AK2*270*1234*005010X279A1~"
has "270 ack accepted" "$T/e2" "IK5*A~"
"$BIN" x12 validate --situational "$G/own/837p-minimal.edi" >"$T/e3" 2>&1; check "--situational finds the missing DMG" 1 $?
has "situational finding" "$T/e3" "situational_segment_missing"
"$BIN" x12 ack --situational "$G/own/837p-minimal.edi" >"$T/e4" 2>&1; check "ack --situational exits 1" 1 $?
has "situational IK3" "$T/e4" "IK3*DMG*20*2010*I6~"

mkdir -p "$T/split"
"$BIN" x12 split --out "$T/split" "$G/samples/834-multiple-st.edi" >"$T/s1" 2>&1; check "split exits 0" 0 $?
n=$(ls "$T/split" | wc -l); check "split makes 4 files" 4 "$n"
for f in "$T"/split/*; do
    "$BIN" x12 validate "$f" >"$T/s2" 2>&1; check "split file $(basename "$f") validates" 0 $?
done
"$BIN" x12 split --out "$T/split" "$G/samples/834-multiple-st.edi" >"$T/s3" 2>&1; check "split refuses to overwrite" 2 $?

"$BIN" x12 to-json "$G/samples/837p-cob-example3c.edi" >"$T/j1" 2>&1; check "to-json exits 0" 0 $?
has "to-json loops" "$T/j1" '{"loop":"2320","name":"Other Subscriber Information"'
"$BIN" x12 from-json "$T/j1" >"$T/x1" 2>&1; check "from-json exits 0" 0 $?
"$BIN" x12 to-json "$T/x1" >"$T/j2" 2>&1
if cmp -s "$T/j1" "$T/j2"; then echo "ok   json round trip"; else echo "FAIL json round trip"; fails=$((fails+1)); fi
"$BIN" x12 validate "$T/x1" >/dev/null 2>&1; check "from-json output validates" 0 $?
echo '{"format":"nope"}' >"$T/bad.json"
"$BIN" x12 from-json "$T/bad.json" >"$T/x2" 2>&1; check "bad json exits 1" 1 $?
has "bad json message" "$T/x2" "format"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
