# SPDX-License-Identifier: MIT
# ipcx_ls_test.sh - `ipcx ls` (--json, -o, --stale, --all) and `ipcx rm
# --stale` / `rm URI [--force]` on objects of every built transport: kept
# ones (ipcx create, file:), ones whose creator was SIGKILLed (stale),
# ones a live process still holds after its creator was killed (never
# stale), live servers, and one whose creator's pid now belongs to an
# unrelated process (the registry names a process by pid and start time,
# so that process is not taken for the creator; the object is stale, is
# removed, and the unrelated process is left alone).
. "$(dirname "$0")/lib.sh"

HOLDER=${IPCX_TEST_HOLDER:?the holder program (tests/cli/holder.c)}
N=ipcx-lst-$$
# System V and POSIX objects outlive the scratch directory: remove what the
# registry still names whatever happened, then run lib.sh's cleanup.
ls_cleanup() {
	local u
	for u in $("$IPCX" ls -n -o uri 2> /dev/null); do
		"$IPCX" rm --force "$u" 2> /dev/null || true
	done
}
ls_exit() {
	local rc=$?
	set +e
	ls_cleanup
	(exit "$rc")
	cleanup
}
trap ls_exit EXIT

have() { scheme_built "$1"; }
named_uris() { # SUFFIX FTOK_BASE: one URI of every named transport built
	have fifo && echo "fifo:$1.fifo"
	have file && echo "file:$1.log"
	have mq && echo "mq:$N-$1"
	have shm && echo "shm:$N-$1"
	have sysvmq && echo "sysvmq:ftok:$T:$2"
	have sysvshm && echo "sysvshm:ftok:$T:$(($2 + 1))"
	return 0
}
canon() { # the canonical URI the registry writes
	"$IPCX" stat --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uri"])'
}
command -v python3 > /dev/null || { echo "ok - skipped: ls --json checks need python3"; exit 0; }

# ---- kept: what ipcx create makes -------------------------------------------
mapfile -t KEPT < <(named_uris k 10)
for u in "${KEPT[@]}"; do expect 0 "$IPCX" create "$u"; done

# ---- dead: made by a process that was SIGKILLed ----------------------------
mapfile -t DEAD < <(named_uris d 20)
DEAD+=("unix:$T/d.sock")
bg "$HOLDER" create "${DEAD[@]}" > dead.out 2> dead.err
D=$BG
wait_for '[ "$(cat dead.out)" = ready ]'
bg "$IPCX" listen tcp:127.0.0.1:0 > /dev/null 2> tcpdead.err
TD=$BG
TCPDEAD=$(wait_listening tcpdead.err)
kill -KILL "$D" "$TD"
{ wait "$D" "$TD" || true; } 2> /dev/null

# ---- held: creator SIGKILLed, another process still has them open ----------
HELD=()
have fifo && HELD+=("fifo:$T/h.fifo")
have shm && HELD+=("shm:/$N-h")
bg "$HOLDER" create "${HELD[@]}" > hc.out 2> hc.err
HC=$BG
wait_for '[ "$(cat hc.out)" = ready ]'
bg "$HOLDER" join "${HELD[@]}" > hj.out 2> hj.err
HJ=$BG
wait_for '[ "$(cat hj.out)" = ready ]'
kill -KILL "$HC"
{ wait "$HC" || true; } 2> /dev/null

# ---- live servers -----------------------------------------------------------
bg "$IPCX" listen unix:l.sock > /dev/null 2> l.err
LS=$BG
wait_listening l.err > /dev/null
bg "$IPCX" listen tcp:127.0.0.1:0 > /dev/null 2> lt.err
LT=$BG
TCPLIVE=$(wait_listening lt.err)

# ---- reused: the creator's pid now belongs to an unrelated process ---------
REUSE=fifo:$T/r.fifo
bg "$HOLDER" create "$REUSE" > r.out 2> r.err
R=$BG
wait_for '[ "$(cat r.out)" = ready ]'
kill -KILL "$R"
{ wait "$R" || true; } 2> /dev/null
bg sleep 100000
S=$BG
entry=$(grep -lx "uri=$REUSE" "$IPCX_REGISTRY_DIR"/*)
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
old_start=$(sed -n 's/^start=//p' "$entry")
[ "$old_start" != "$(start_of "$S")" ] || old_start=$((old_start - 1))
sed -i "s/^pid=.*/pid=$S/; s/^start=.*/start=$old_start/" "$entry"

# ---- ls --json: one document, every field, the truth about each ------------
expect 0 "$IPCX" ls --json > ls.json
kept_c=(); for u in "${KEPT[@]}"; do kept_c+=("$(canon "$u")"); done
held_c=(); for u in "${HELD[@]}"; do held_c+=("$(canon "$u")"); done
python3 - ls.json "$S" "$TCPDEAD" "$TCPLIVE" "$T" "${#KEPT[@]}" "${kept_c[@]}" "${held_c[@]}" <<'PY' || fail "ls --json: $(cat ls.json)"
import json, sys
doc = json.load(open(sys.argv[1]))
S, tcpdead, tcplive, T, nkept = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
kept = set(sys.argv[7:7 + nkept]); held = set(sys.argv[7 + nkept:])
fields = {"uri", "scheme", "owner", "owner_uid", "mode", "max_msg", "queued", "queued_unit",
          "creator_pid", "creator_start", "creator_alive", "holders", "kept", "created",
          "age_s", "stale"}
objs = {o["uri"]: o for o in doc["objects"]}
def need(c, what):
    if not c:
        sys.exit("ls --json: " + what)
for o in doc["objects"]:
    need(set(o) == fields, "fields of %s: %s" % (o["uri"], sorted(o)))
    need(o["scheme"] == o["uri"].split(":")[0], "scheme of " + o["uri"])
for u in kept:
    o = objs.get(u); need(o is not None, "kept %s not listed" % u)
    need(o["kept"] and not o["stale"] and o["creator_alive"] is False and o["holders"] == 0,
         "kept %s: %s" % (u, o))
    need(o["mode"] == "0600", "mode of %s: %s" % (u, o["mode"]))
for u in held:
    o = objs[u]
    need(o["creator_alive"] is False and o["holders"] == 1 and not o["stale"], "held %s: %s" % (u, o))
for u in (tcplive, "unix:%s/l.sock" % T):
    o = objs[u]
    need(o["creator_alive"] is True and o["holders"] >= 1 and not o["stale"], "live %s: %s" % (u, o))
o = objs["tcp:" + tcpdead.split(":", 1)[1]]
need(o["stale"] and o["creator_alive"] is False and o["holders"] == 0, "dead tcp: %s" % o)
o = objs["fifo:%s/r.fifo" % T]
need(o["creator_pid"] == S and o["creator_alive"] is False and o["stale"], "reused pid: %s" % o)
PY
ok "ls --json: one document; kept, dead, held, live and pid-reused objects as they are"

# ---- --stale and -o --------------------------------------------------------
expect 0 "$IPCX" ls --stale -n -o uri > stale.list
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("\n".join(sorted(o["uri"] for o in d["objects"] if o["stale"])))' ls.json > stale.want
cmp stale.want stale.list || fail "ls --stale: $(cat stale.list) want $(cat stale.want)"
n_dead=${#DEAD[@]}
have file && n_dead=$((n_dead - 1))  # file: keeps its log: never stale
[ "$(lines stale.list)" -eq $((n_dead + 2)) ] || fail "stale count: $(cat stale.list)"
grep -q '^file:' stale.list && fail "a file: log listed as stale"
expect 0 "$IPCX" ls -o uri,kept,alive,holders > o.out
head -n 1 o.out | grep -Eq '^URI +KEPT +ALIVE +HOLDERS$' || fail "-o header: $(head -n 1 o.out)"
grep -Eq "^unix:$T/l.sock +no +yes +1$" o.out || fail "-o row: $(cat o.out)"
expect 0 "$IPCX" ls > def.out
head -n 1 def.out | grep -Eq '^ *PID +ALIVE +HOLDERS +KEPT +MODE +OWNER +MAX +QUEUED +AGE +URI$' ||
	fail "default columns: $(head -n 1 def.out)"
expect 2 "$IPCX" ls -o uri,bogus 2> o.err
grep -q "unknown column 'bogus'" o.err || fail "-o bogus: $(cat o.err)"
expect 2 "$IPCX" ls extra 2> /dev/null
ok "ls --stale lists exactly the stale ones; -o chooses columns; bad -o is 2"

# ---- --all: the machine's System V and POSIX objects, ipcx's marked --------
expect 0 "$IPCX" ls --all --json > all.json
expect 0 "$IPCX" ls --all > all.out 2> all.err
python3 - all.json "$N" <<'PY' || fail "ls --all --json: $(cat all.json)"
import json, os, sys
d = json.load(open(sys.argv[1])); N = sys.argv[2]
regs = {o["uri"] for o in d["objects"]}
sysrows = d["system"]
for r in sysrows:
    if set(r) != {"kind", "name", "id", "owner", "owner_uid", "mode", "bytes", "attached",
                  "messages", "creator_pid", "ipcx"}:
        sys.exit("fields: %s" % sorted(r))
    if r["ipcx"] is not None and r["ipcx"] not in regs:
        sys.exit("marked with a URI the registry lacks: %s" % r)
mine = {r["ipcx"]: r for r in sysrows if r["ipcx"]}
for o in d["objects"]:
    u = o["uri"]; s = o["scheme"]
    kind = {"sysvshm": "sysv-shm", "sysvmq": "sysv-msg", "shm": "posix-shm", "mq": "posix-mq"}.get(s)
    if kind is None or (kind == "posix-mq" and "/dev/mqueue" in d["not_mounted"]):
        continue
    if u not in mine or mine[u]["kind"] != kind:
        sys.exit("%s not marked as a %s: %s" % (u, kind, mine.get(u)))
mounted = os.path.ismount("/dev/mqueue")
if mounted == ("/dev/mqueue" in d["not_mounted"]):
    sys.exit("not_mounted is wrong: %s" % d["not_mounted"])
PY
if [ -d /proc/sysvipc ] && have sysvshm; then
	k=$(canon "sysvshm:ftok:$T:11" | cut -d: -f2)
	grep -Eq "^sysv-shm +$k .* sysvshm:$k\$" all.out || fail "--all table: $(cat all.out)"
fi
if ! mountpoint -q /dev/mqueue 2> /dev/null; then
	grep -q '/dev/mqueue is not mounted' all.err || fail "--all says nothing of /dev/mqueue: $(cat all.err)"
	grep -q 'mount -t mqueue none /dev/mqueue' all.err || fail "--all does not say how to mount it: $(cat all.err)"
fi
ok "ls --all: System V and POSIX objects, ipcx's marked with their URI"

# ---- rm of a held object: refused with the count, unless --force -----------
h=${HELD[0]}
expect 1 "$IPCX" rm "$h" 2> held.err
grep -q "^ipcx: rm: $h: in use: 1 process holds it open; --force removes it anyway" held.err ||
	fail "rm held: $(cat held.err)"
expect 0 "$IPCX" ls -o uri -n > after.list
grep -qx "$h" after.list || fail "rm without --force removed $h"
expect 1 "$IPCX" rm unix:l.sock 2> live.err
grep -q 'in use: 1 process holds it open; its creator, pid [0-9]*, is running' live.err ||
	fail "rm of a live server's socket: $(cat live.err)"
[ -S l.sock ] || fail "rm removed a live server's socket"
ok "rm of a held object: 1, with how many hold it; nothing removed"

# ---- rm --stale: exactly the stale ones, each printed ------------------------
expect 0 "$IPCX" rm --stale > removed.list
cmp stale.list <(sort removed.list) || fail "rm --stale removed: $(cat removed.list), stale: $(cat stale.list)"
expect 0 "$IPCX" ls --json > post.json
python3 - post.json stale.list ls.json <<'PY' || fail "after rm --stale: $(cat post.json)"
import json, sys
post = {o["uri"] for o in json.load(open(sys.argv[1]))["objects"]}
gone = set(open(sys.argv[2]).read().split())
before = {o["uri"] for o in json.load(open(sys.argv[3]))["objects"]}
if post & gone: sys.exit("still listed: %s" % (post & gone))
if post != before - gone: sys.exit("also removed: %s" % (before - gone - post))
PY
for u in "${DEAD[@]}"; do
	case $u in
	fifo:*) [ ! -e d.fifo ] || fail "rm --stale left the FIFO" ;;
	shm:*) [ ! -e "/dev/shm/$N-d" ] || fail "rm --stale left /dev/shm/$N-d" ;;
	unix:*) [ ! -e d.sock ] || fail "rm --stale left the socket file" ;;
	file:*) [ -e d.log ] || fail "rm --stale removed a file: log" ;;
	esac
done
python3 - stale.list <<'PY' || fail "rm --stale left a System V object"
import sys
for u in open(sys.argv[1]).read().split():
    scheme, addr = u.split(":", 1)
    f = {"sysvshm": "/proc/sysvipc/shm", "sysvmq": "/proc/sysvipc/msg"}.get(scheme)
    if f is None:
        continue
    key = int(addr, 16)
    for line in open(f).readlines()[1:]:
        if int(line.split()[0]) & 0xffffffff == key:
            sys.exit("%s is still there" % u)
PY
[ -p k.fifo ] && [ -p h.fifo ] || fail "rm --stale removed a kept or held FIFO"
[ ! -e r.fifo ] || fail "the pid-reused object is stale and was not removed"
kill -0 "$S" || fail "the unrelated process that reused the pid is gone"
expect 0 "$IPCX" rm --stale > again.list
[ ! -s again.list ] || fail "a second rm --stale removed: $(cat again.list)"
ok "rm --stale removes exactly the stale ones and prints them; kept, held and live stay"

# ---- --force ----------------------------------------------------------------
expect 0 "$IPCX" rm --force "$h"
expect 0 "$IPCX" ls -o uri -n > forced.list
! grep -qx "$h" forced.list || fail "rm --force left $h"
kill -TERM "$HJ" "$LS" "$LT"
reap "$HJ" 0
reap "$LS" 143
reap "$LT" 143
for u in "${KEPT[@]}"; do expect 0 "$IPCX" rm "$u"; done
ok "rm --force removes a held object"
