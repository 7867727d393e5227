#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_test.sh - the benchmark's own contract, with few messages (speed is
# never asserted): a damaged message fails the run; a skipped cell says
# why; every built scheme has a row, with a bare row beside those bare.c
# knows; the JSON and CSV parse and carry every figure of the tables; the
# SVG is well-formed and renders non-blank in headless chromium (skipped,
# saying so, without it); placement is stated; usage errors are status 2;
# nothing is left in TMPDIR, /dev/shm or the System V queues.
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

# A damaged message: status 1, the cell and the total say so.  Also on
# the rows whose checks differ: a signal's 7-byte message (a 4-byte stamp)
# and a durable file log.  (--quick: the short floors; --count fixes the
# rest.)
for row in pipe signal 'file?sync=always'; do
	run corrupt.out corrupt.out "$BENCH" --quick --only "$row" --sizes 64 --reps 1 --count 40 --test-corrupt
	[ "$rc" = 1 ] || fail "--test-corrupt $row: status $rc, want 1: $(cat corrupt.out)"
	grep -q '^INTEGRITY FAILURE' corrupt.out || fail "--test-corrupt $row: no INTEGRITY FAILURE line"
	grep -q 'ipcx: FAILED: integrity: ' corrupt.out ||
		fail "--test-corrupt $row: the cell does not say why: $(cat corrupt.out)"
done
# The same rows undamaged pass, every message checked on both sides.
run intact.out intact.out "$BENCH" --quick --only "signal,file" --sizes 64 --reps 1 --count 40
[ "$rc" = 0 ] || fail "signal and file rows: status $rc: $(cat intact.out)"
grep -q '^integrity: [0-9]* messages checked, none lost or damaged' intact.out ||
	fail "signal and file rows: no integrity line: $(cat intact.out)"
echo "ok: a damaged message fails the run, on pipe, signal and file sync=always"

# A skipped cell says why: short in the table, in full below it.  The
# signal row is measured at its own 7 bytes, in the smallest size's column.
run skip.out skip.err "$BENCH" --only signal,mq --sizes 64,64K --reps 1 --count 20
[ "$rc" = 0 ] || fail "skips: status $rc: $(cat skip.err) $(cat skip.out)"
grep -q '^signal (7B) 64K, bare and ipcx: skipped: signal: 7-byte messages only (measured at 7 B, in the 64B column)' skip.out ||
	fail "the signal row does not say why its cells are skipped: $(cat skip.out)"
grep -Eq '^signal \(7B\) +[0-9.]+\*? x[0-9.]+ +skip$' skip.out ||
	fail "the signal row is not measured at 7 bytes and skipped at 64K: $(cat skip.out)"
grep -Eq '^signal \(7B\) +sigqueue/sigwaitinfo +7B +[0-9.]+\*? +[0-9.]+\*? +[0-9.]+ ' skip.out ||
	fail "the signal row has no 7-byte figures and ratio: $(cat skip.out)"
mqmax=$(cat /proc/sys/fs/mqueue/msgsize_max 2> /dev/null || echo 0)
if [ "$mqmax" -lt 65536 ]; then
	grep -q "^mq 64K, bare: skipped: mq: msgsize_max is $mqmax here; raise it with sysctl fs.mqueue.msgsize_max=65536" skip.out ||
		fail "the mq 64K bare cell does not name the limit: $(cat skip.out)"
fi
echo "ok: a skipped cell says why"

# Every row; the table on standard output, JSON, CSV and SVG in files:
# the files carry every figure the tables print.
run all.out all.err "$BENCH" --sizes 64,64K --reps 2 --count 30 --json all.json --csv all.csv --svg all.svg
[ "$rc" = 0 ] || fail "full run: status $rc: $(cat all.err) $(cat all.out)"
grep -q '^chart: all.svg$' all.out || fail "the run does not say where the chart is"
[ ! -s all.err ] || fail "standard error is not a terminal, yet the run wrote to it: $(cat all.err)"
if command -v python3 > /dev/null 2>&1; then
	python3 - all.json all.csv all.out << 'EOF2' || fail "the JSON or CSV does not carry the figures"
import csv, json, re, sys
d = json.load(open(sys.argv[1]))
assert d["exit_status"] == 0 and d["integrity"]["errors"] == 0
assert d["integrity"]["checked"] > 0
assert d["settings"]["sizes"] == [64, 65536]
assert len(d["verdicts"]) == 2 and d["summary"].startswith("On this machine")
for k in ("cacheline_rtt_us", "futex_rtt_us", "syscall_us", "memcpy_64k_mb_per_s", "memcpy_1m_mb_per_s"):
    assert d["floors"][k]["value"] > 0, k
rows = {r["transport"]: r for r in d["rows"]}
for name in ("pipe", "fifo", "unix stream", "unix seqpacket", "unix dgram", "tcp", "mq", "sysvmq", "shm", "sysvshm",
             "signal (7B)", "file", "file sync=none", "file sync=always"):
    r = rows[name]
    assert r["bare"] is not None, name
    c = r["cells"][0]
    for side in ("bare", "ipcx"):
        l = c[side]
        assert l["status"] == "ok", (name, side, l)
        assert l["rtt_p50_us"] > 0 and l["mb_per_s"] > 0 and len(l["reps"]) == 2
        assert l["rtt_p50_us"] <= l["rtt_p99_us"] <= l["rtt_p999_us"] <= l["rtt_max_us"], (name, l)
    if d["placement"]["pinned"]:
        assert c["ratio"]["rtt_p50"]["pairs"] == 2, (name, c)
    else:
        assert c["ratio"]["rtt_p50"] is None
# The signal row: 7-byte messages in the first column, beside sigqueue.
sig = rows["signal (7B)"]
assert sig["bare"]["calls"] == "sigqueue/sigwaitinfo", sig["bare"]
assert sig["cells"][0]["size"] == 7 and sig["cells"][1]["size"] == 65536, sig["cells"]
assert sig["cells"][1]["ipcx"]["status"] == "skipped" and "7-byte" in sig["cells"][1]["ipcx"]["reason"]
assert sig["cells"][0]["ipcx"]["reps"][0]["messages"] > 0
# The file rows: one per durability, each beside the bare log of the same.
assert rows["file sync=none"]["bare"]["calls"] == "pwrite+lock"
assert rows["file"]["bare"]["calls"] == "pwrite+lock"
assert rows["file sync=always"]["bare"]["calls"] == "pwrite+fdatasync"
for name in ("file", "file sync=none", "file sync=always"):
    for c in rows[name]["cells"]:
        assert c["ipcx"]["status"] == "ok" and c["bare"]["status"] == "ok", (name, c)
        assert ("sync=" in c["uri"]) == (name != "file"), (name, c["uri"])
# CSV: every line of every series, and the same figures as the JSON.
lines = list(csv.DictReader(open(sys.argv[2])))
by = {}
for l in lines:
    by[(l["kind"], l["transport"], int(l["size"]) if l["size"] else 0)] = l
for r in d["rows"]:
    if r["status"] == "unavailable":
        continue
    for c in r["cells"]:
        sides = [("peer", "bare")] if r["kind"] == "peer" else [("ipcx", "ipcx")] + ([("bare", "bare")] if c["bare"]["status"] == "ok" else [])
        for kind, side in sides:
            l = by[(kind, r["transport"], c["size"])]
            j = c[side]
            assert l["status"] == j["status"].replace("not run", "not run"), (l, j)
            if j["status"] == "ok":
                for f in ("rtt_p50_us", "rtt_p99_us", "rtt_p999_us", "rtt_max_us", "mb_per_s", "msgs_per_s"):
                    assert abs(float(l[f]) - j[f]) <= 1e-4 * j[f], (r["transport"], f, l[f], j[f])
assert any(l["kind"] == "floor" for l in lines)
# The glance tables: every printed figure is in the CSV, rounded as printed.
text = open(sys.argv[3]).read().split("\n")
def check(head, field, mult):
    i = next(n for n, t in enumerate(text) if t.startswith(head))
    sizes = text[i + 1].split()
    last = None
    seen = 0
    for t in text[i + 2:]:
        if not t.strip():
            break
        name, cells = t[:27].strip(), t[27:]
        kind = "ipcx"
        if name.startswith("bare "):
            kind, name = "bare", last
        elif name.endswith(" (peer)"):
            kind, name = "peer", name[:-7]
        else:
            last = name
        vals = [cells[k:k + 14].strip() for k in range(0, len(cells), 14)]
        # A row measured at its own size (signal) has it in its cells.
        for size, v in zip([c["size"] for c in rows[name]["cells"]], vals):
            l = by[(kind, name, size)]
            if v in ("skip", "FAIL", "-"):
                assert l["status"] != "ok", (name, size, v)
                continue
            m = re.fullmatch(r"([0-9.]+)\*? x([0-9.]+)(k?)", v)
            assert m, v
            x, y = float(m.group(1)), float(m.group(2)) * (1000 if m.group(3) else 1)
            assert abs(x - float(l[field])) <= 0.051 * x + 0.0006, (name, size, v, l[field])
            assert abs(y - float(l[mult])) <= 0.051 * y + 0.051, (name, size, v, l[mult])
            seen += 1
    assert seen > 20, seen
check("round trip p50, us", "rtt_p50_us", "floor_multiple_latency")
check("one way, MB/s", "mb_per_s", "floor_multiple_throughput")
EOF2
else
	grep -q '"transport": "unix seqpacket"' all.json || fail "no unix seqpacket row"
fi
echo "ok: every built transport, bare beside it; JSON and CSV carry every figure of the table"

# The chart: well-formed XML, and a browser draws something.
if command -v xmllint > /dev/null 2>&1; then
	xmllint --noout all.svg || fail "the SVG is not well-formed XML"
	echo "ok: the SVG is well-formed XML"
else
	echo "skip: the SVG's XML check needs xmllint (Debian: libxml2-utils)"
fi
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ] && command -v python3 > /dev/null 2>&1; then
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$T/chromium" --window-size=1200,700 --screenshot="$T/shot.png" \
		"file://$T/all.svg" > chromium.log 2>&1 || fail "chromium could not render the SVG: $(tail -5 chromium.log)"
	python3 - "$T/shot.png" << 'EOF2' || fail "the SVG renders blank in chromium"
import struct, sys, zlib
# A PNG decoder of the few lines this needs: 8-bit RGB or RGBA.
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, i = bytearray(stride), [], 0
for y in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
colours, ink = set(), 0
for line in rows[::4]:
    for x in range(0, stride, bpp * 4):
        px = bytes(line[x:x + 3])
        colours.add(px)
        ink += px != b"\xff\xff\xff"
total = len(rows[::4]) * len(range(0, stride, bpp * 4))
# Lines, labels and a legend in several colours: not blank, not one colour.
assert len(colours) >= 8 and 0.01 < ink / total < 0.9, (len(colours), ink / total)
EOF2
	echo "ok: the SVG renders, not blank, in headless chromium"
else
	echo "skip: the SVG's rendering check needs chromium (Debian: chromium) and python3"
fi

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
for args in "--only nosuch" "--sizes 8" "--sizes 32M" "--reps 0" "--bogus" "--count x" "--csv"; do
	# shellcheck disable=SC2086
	run /dev/null /dev/null "$BENCH" $args
	[ "$rc" = 2 ] || fail "$args: status $rc, want 2"
done
echo "ok: usage errors are status 2"
run help.out help.err "$BENCH" -h
[ "$rc" = 0 ] && grep -q '^Usage: ' help.out && grep -q -- '--svg FILE' help.out ||
	fail "-h: status $rc: $(cat help.out help.err)"
echo "ok: -h"

# Nothing left behind: only this script's own files remain.
left=$(find "$T" -mindepth 1 -maxdepth 1 -name 'ipcx-bench-*' | wc -l)
[ "$left" = 0 ] || fail "scratch directories left: $(ls "$T")"
echo "ok: nothing left in TMPDIR"
# The bare rings are unlinked as soon as they are open: none may remain.
left=$(ls /dev/shm | grep -E '^ipcx-bench-ring-' || true)
[ -z "$left" ] || fail "left in /dev/shm: $left"
echo "ok: nothing left in /dev/shm"
