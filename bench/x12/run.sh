#!/bin/sh
# bench/x12/run.sh [MB] — build the release benchmark drivers, generate
# MB-sized (default 120) 837P and 835 files in bench/x12/data/ (git-ignored
# by not being committed), and time read / validate / to-json on each.
set -eu
cd "$(dirname "$0")/../.."
MB=${1:-120}
cmake --preset default >/dev/null
cmake --build --preset default -j2 --target bench_x12_gen bench_x12_run >/dev/null
B=build/bench/x12
D=bench/x12/data
mkdir -p "$D"
for t in 837p 835; do
    [ -s "$D/$t-${MB}mb.x12" ] || $B/bench_x12_gen $t "$MB" "$D/$t-${MB}mb.x12"
done
for t in 837p 835; do
    cat "$D/$t-${MB}mb.x12" >/dev/null   # warm the page cache
    for m in read validate to-json; do
        $B/bench_x12_run $m "$D/$t-${MB}mb.x12"
    done
done
