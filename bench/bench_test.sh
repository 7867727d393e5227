#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_test.sh - the benchmark's own contract, with few messages (speed is
# never asserted): a damaged message fails the run; every built scheme has
# a row, with a bare row beside those bare.c knows; the JSON parses and
# carries the figures; placement is stated; usage errors are status 2;
# nothing is left in TMPDIR.
set -eu

BENCH=${1:?usage: $0 PATH-TO-ipcx-bench}
case $BENCH in /*) ;; *) BENCH=$PWD/$BENCH ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/ipcx-bench-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TMPDIR="$T"
cd "$T"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run OUT ERR COMMAND...: rc is its status.
run() {
	out=$1 err=$2
	shift 2
	set +e
	"$@" > "$out" 2> "$err"
	rc=$?
	set -e
}

# A damaged message: status 1, the cell and the total say so.
run corrupt.out corrupt.out "$BENCH" --only pipe --sizes 64 --reps 1 --count 40 --test-corrupt
[ "$rc" = 1 ] || fail "--test-corrupt: status $rc, want 1: $(cat corrupt.out)"
grep -q '^INTEGRITY FAILURE' corrupt.out || fail "--test-corrupt: no INTEGRITY FAILURE line"
grep -q 'ipcx: FAILED: integrity: ' corrupt.out || fail "--test-corrupt: the cell does not say why"
echo "ok: a damaged message fails the run"

# Every row, JSON on standard output instead of the table.
run all.json all.err "$BENCH" --sizes 64,64K --reps 2 --count 30 --json -
[ "$rc" = 0 ] || fail "full run: status $rc: $(cat all.err) $(cat all.json)"
if command -v python3 > /dev/null 2>&1; then
	python3 - all.json << 'EOF' || fail "the JSON does not carry the figures"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit_status"] == 0 and d["integrity"]["errors"] == 0
assert d["integrity"]["checked"] > 0
assert d["settings"]["sizes"] == [64, 65536]
rows = {r["transport"]: r for r in d["rows"]}
for name in ("pipe", "fifo", "unix stream", "unix seqpacket", "unix dgram", "tcp"):
    r = rows[name]
    assert r["bare"] is not None, name
    for c in r["cells"]:
        for side in ("bare", "ipcx"):
            l = c[side]
            assert l["status"] == "ok", (name, side, l)
            assert l["rtt_p50_us"] > 0 and l["mb_per_s"] > 0 and len(l["reps"]) == 2
        if d["placement"]["pinned"]:
            assert c["ratio"]["rtt_p50"]["pairs"] == 2, (name, c)
        else:
            assert c["ratio"]["rtt_p50"] is None
EOF
else
	grep -q '"transport": "unix seqpacket"' all.json || fail "no unix seqpacket row"
fi
echo "ok: every built transport, bare beside it, in JSON"

# The table states the placement, and refuses ratios when not pinned.
run nopin.out nopin.out "$BENCH" --only tcp --sizes 64 --reps 1 --count 20 --no-pin
[ "$rc" = 0 ] || fail "--no-pin: status $rc: $(cat nopin.out)"
grep -q '^placement: NOT PINNED' nopin.out || fail "--no-pin: placement not stated"
grep -q '^ratios not reported: --no-pin' nopin.out || fail "--no-pin: ratios not refused"
if [ "$(nproc)" -ge 2 ]; then
	run pin.out pin.out "$BENCH" --only tcp --sizes 64 --reps 1 --count 20
	[ "$rc" = 0 ] || fail "pinned: status $rc: $(cat pin.out)"
	grep -q '^placement: sender pinned to CPU [0-9]*, receiver to CPU [0-9]*' pin.out ||
		fail "pinned placement not stated: $(cat pin.out)"
fi
echo "ok: placement stated, no ratio unpinned"

# Usage errors.
for args in "--only nosuch" "--sizes 8" "--sizes 32M" "--reps 0" "--bogus" "--count x"; do
	# shellcheck disable=SC2086
	run /dev/null /dev/null "$BENCH" $args
	[ "$rc" = 2 ] || fail "$args: status $rc, want 2"
done
echo "ok: usage errors are status 2"

# Nothing left behind: only this script's own files remain.
left=$(find "$T" -mindepth 1 -maxdepth 1 -name 'ipcx-bench-*' | wc -l)
[ "$left" = 0 ] || fail "scratch directories left: $(ls "$T")"
echo "ok: nothing left in TMPDIR"
