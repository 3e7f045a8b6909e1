#!/bin/sh
# The checker checked: tools/checksrc on checksrc_fixture.c must exit 1 and
# print exactly checksrc_fixture.expected (every banned call found; comments,
# strings, look-alikes, member calls and valid escapes left alone; bad escapes
# reported). usage: checksrc_selftest.sh PYTHON3 SOURCE_DIR OUT_DIR
set -u
py=$1 src=$2 out=$3
mkdir -p "$out"
"$py" "$src/tools/checksrc" --root "$src/tests/lint" "$src/tests/lint/checksrc_fixture.c" \
    > "$out/checksrc_fixture.got"
rc=$?
if [ "$rc" -ne 1 ]; then
    echo "checksrc exited $rc on the fixture, expected 1" >&2
    exit 1
fi
diff -u "$src/tests/lint/checksrc_fixture.expected" "$out/checksrc_fixture.got"
