# SPDX-License-Identifier: MIT
# ipcx_dump_test.sh - `ipcx dump`: an ipcx ring decoded (geometry, head and
# tail, slots by state, participants alive and dead, the slots in use and
# what they hold), on shm: and sysvshm:, without changing one byte of it;
# another program's segment (a plain /dev/shm file, a plain shmget
# segment) shown as bytes in text, hex and json; a URI with no segment (2)
# and a missing object (4).
. "$(dirname "$0")/lib.sh"

N=ipcx-dump-$$
SYSV_PLAIN=
dump_cleanup() {
	rm -f "/dev/shm/$N-plain"
	"$IPCX" rm --force "shm:$N" 2> /dev/null || true
	"$IPCX" rm --force "sysvshm:ftok:$T:1" 2> /dev/null || true
	[ -z "$SYSV_PLAIN" ] || ipcrm -M "$SYSV_PLAIN" 2> /dev/null || true
}
dump_exit() {
	local rc=$?
	set +e
	dump_cleanup
	(exit "$rc")
	cleanup
}
trap dump_exit EXIT
scheme_built shm || { echo "ok - skipped: shm: is not built"; exit 0; }

# ---- a ring: a stopped receiver, two messages waiting, a dead sender -------
expect 0 "$IPCX" create "shm:$N?slots=2"
bg "$IPCX" recv "shm:$N" > a.out
A=$BG
wait_for '"$IPCX" dump "shm:$N" | grep -q " pid $A "'
kill -STOP "$A"
expect 0 "$IPCX" send "shm:$N" hello 'wor"ld'
# The ring is full: a third sender waits in it, a participant, and dies.
bg "$IPCX" send "shm:$N" third
B=$BG
wait_for '"$IPCX" dump "shm:$N" | grep -q " pid $B "'
kill -KILL "$B"
{ wait "$B" || true; } 2> /dev/null
sum=$(md5sum < "/dev/shm/$N")
expect 0 "$IPCX" dump "shm:$N" > ring.out
expect 0 "$IPCX" dump --format json "shm:$N" > ring.json
[ "$(md5sum < "/dev/shm/$N")" = "$sum" ] || fail "dump changed the ring"
for l in 'ring: ipcx ring' 'slots: 2' 'slot_size: 4096' 'head: 0' 'tail: 2' 'queued: 2' \
	'states: free 0 writing 0 skipped 0 ready 2 reading 0 requeued 0' 'participants: 2' \
	'slot 0: position 0 ready len 5 "hello"' 'slot 1: position 1 ready len 6 "wor\x22ld"'; do
	grep -qxF "$l" ring.out || fail "dump: no '$l' in: $(cat ring.out)"
done
grep -Eq "^  #[0-9]+ pid $A start [0-9]+ active alive held 0$" ring.out || fail "live participant: $(cat ring.out)"
grep -Eq "^  #[0-9]+ pid $B start [0-9]+ active dead held 0$" ring.out || fail "dead participant: $(cat ring.out)"
if command -v python3 > /dev/null; then
	python3 - ring.json "$A" "$B" <<'PY' || fail "dump --format json: $(cat ring.json)"
import json, sys
d = json.load(open(sys.argv[1])); A, B = int(sys.argv[2]), int(sys.argv[3])
r = d["ring"]
assert d["bytes"] > 0 and "data" not in d
assert (r["slots"], r["slot_size"], r["head"], r["tail"]) == (2, 4096, 0, 2), r
assert r["states"]["ready"] == 2 and r["states"]["free"] == 0, r["states"]
alive = {p["pid"]: p["alive"] for p in r["participants"]}
assert alive == {A: True, B: False}, alive
assert [(s["slot"], s["state"], s["len"]) for s in r["in_use"]] == [(0, "ready", 5), (1, "ready", 6)], r["in_use"]
PY
fi
kill -CONT "$A"
wait_for '[ "$(lines a.out)" -ge 2 ]'
printf 'hello\nwor"ld\n' | cmp - a.out || fail "the receiver got: $(cat a.out)"
kill -TERM "$A"
reap "$A" 143
expect 0 "$IPCX" dump --bytes "shm:$N" > bytes.out
grep -q '^00000000  49 50 43 58 52 4e 47 31 ' bytes.out || fail "--bytes of a ring: $(head -n 2 bytes.out)"
ok "dump of a shm: ring: geometry, head/tail, states, participants alive and dead, slots in use; read-only"

if scheme_built sysvshm; then
	expect 0 "$IPCX" create "sysvshm:ftok:$T:1?slots=4"
	expect 0 "$IPCX" send "sysvshm:ftok:$T:1" one
	expect 0 "$IPCX" dump "sysvshm:ftok:$T:1" > sysv.out
	grep -qx 'slots: 4' sysv.out && grep -qx 'queued: 1' sysv.out &&
		grep -qxF 'slot 0: position 0 ready len 3 "one"' sysv.out || fail "sysvshm dump: $(cat sysv.out)"
	expect 0 "$IPCX" recv "sysvshm:ftok:$T:1" -n 1 > /dev/null
	ok "dump of a sysvshm: ring"
fi

# ---- another program's segment: bytes ----------------------------------------
printf 'plain bytes\001\002' > "/dev/shm/$N-plain"
expect 0 "$IPCX" dump "shm:$N-plain" > plain.out
grep -qx "# shm:$N-plain: 13 bytes, not an ipcx ring" plain.out || fail "plain: $(cat plain.out)"
grep -qxF '00000000  70 6c 61 69 6e 20 62 79  74 65 73 01 02           |plain bytes..|' plain.out ||
	fail "plain hexdump: $(cat plain.out)"
expect 0 "$IPCX" dump --format hex "shm:$N-plain" > plain.hex
[ "$(cat plain.hex)" = 706c61696e2062797465730102 ] || fail "--format hex: $(cat plain.hex)"
expect 0 "$IPCX" dump --format json "shm:$N-plain" > plain.json
[ "$(cat plain.json)" = "{\"uri\":\"shm:$N-plain\",\"bytes\":13,\"ring\":null,\"data\":\"cGxhaW4gYnl0ZXMBAg==\"}" ] ||
	fail "--format json: $(cat plain.json)"
head -c 40000 /dev/zero > "/dev/shm/$N-plain"
expect 0 "$IPCX" dump "shm:$N-plain" > zeros.out
[ "$(sed -n 3p zeros.out)" = '*' ] && [ "$(tail -n 1 zeros.out)" = 00009c40 ] ||
	fail "repeated lines: $(cat zeros.out)"
ok "dump of a plain /dev/shm object: hexdump lines, hex, json"

if scheme_built sysvshm && command -v python3 > /dev/null && command -v ipcrm > /dev/null; then
	SYSV_PLAIN=$(python3 - <<'PY'
import ctypes, os, random
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
for _ in range(100):
    key = random.randint(0x10000000, 0x7fffffff)
    sid = libc.shmget(key, 64, 0o1000 | 0o2000 | 0o600)  # IPC_CREAT | IPC_EXCL
    if sid >= 0:
        break
p = libc.shmat(sid, None, 0)
ctypes.memmove(p, b"sysv plain", 10)
libc.shmdt(ctypes.c_void_p(p))
print("0x%08x" % key)
PY
)
	expect 0 "$IPCX" dump "sysvshm:$SYSV_PLAIN" > sp.out
	grep -qx "# sysvshm:$SYSV_PLAIN: 64 bytes, not an ipcx ring" sp.out &&
		grep -q '^00000000  73 79 73 76 20 70 6c 61  69 6e 00 00 00 00 00 00  |sysv plain......|$' sp.out ||
		fail "plain sysv: $(cat sp.out)"
	ipcrm -M "$SYSV_PLAIN"
	SYSV_PLAIN=
	ok "dump of a plain shmget segment"
fi

# ---- errors -----------------------------------------------------------------
expect 4 "$IPCX" dump "shm:$N-none" 2> none.err
grep -q "^ipcx: dump: shm:$N-none: no such channel" none.err || fail "missing: $(cat none.err)"
expect 2 "$IPCX" dump fifo:x 2> fifo.err
grep -q "^ipcx: dump: fifo:x: a fifo: channel has no shared-memory segment to show (dump takes shm:" fifo.err ||
	fail "fifo: $(cat fifo.err)"
expect 2 "$IPCX" dump 2> /dev/null
expect 2 "$IPCX" dump "shm:$N" --format raw 2> /dev/null
expect 0 "$IPCX" dump --help > /dev/null
ok "dump: no segment (2), missing (4), usage errors"
