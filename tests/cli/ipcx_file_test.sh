# SPDX-License-Identifier: MIT
# ipcx_file_test.sh - the operator's view of a file: log: `ipcx stat`
# (messages and bytes queued, read position, size and limit, the oldest
# message's age, the sync mode the log was made with), `ipcx dump` in
# text, hex and json listing every queued message and a corrupt record
# with its offset, without taking one or changing one byte of the file;
# and the reader in docs/wire-format.md, run as written by python3 (when
# there is one), reading the same log: the documented format is the one on
# disk.
. "$(dirname "$0")/lib.sh"

key() { sed -n "s/^$1: //p" "$2"; }
sum() { cksum < "$1"; }
LOG=$T/jobs.log
U=file:$LOG

# ---- stat -------------------------------------------------------------------
expect 0 "$IPCX" create "$U?sync=always&size=1M&max=4K"
expect 0 "$IPCX" stat "$U" > empty.out
[ "$(key queued empty.out)" = "0 messages" ] || fail "empty: $(cat empty.out)"
[ "$(key oldest_age empty.out)" = none ] || fail "empty: oldest: $(cat empty.out)"
[ "$(key read_pos empty.out)" = 4096 ] || fail "empty: read_pos: $(cat empty.out)"
expect 0 "$IPCX" send "$U" one two three four
expect 0 "$IPCX" recv "$U" -n 1 > got.out
[ "$(cat got.out)" = one ] || fail "recv: $(cat got.out)"
before=$(sum "$LOG")
expect 0 "$IPCX" stat "$U" > s.out
for kv in "queued: 3 messages" "queued_bytes: 120" "read_pos: 4136" "log_bytes: 4256" \
	"log_limit: 1048576" "sync: always" "kept: yes"; do
	grep -qx "$kv" s.out || fail "stat: no '$kv' in: $(cat s.out)"
done
grep -Eqx 'oldest_age: [0-9]+\.[0-9]{3} s' s.out || fail "stat: oldest_age: $(cat s.out)"
expect 0 "$IPCX" stat --json "$U" > s.json
grep -q '"queued":3,"queued_unit":"messages","queued_bytes":120,"read_pos":4136,"log_bytes":4256,"oldest_sent_ns":[0-9]*,"oldest_age_ms":[0-9]*,"log_limit":1048576,"sync":"always"' s.json ||
	fail "stat --json: $(cat s.json)"
[ "$(sum "$LOG")" = "$before" ] || fail "stat changed the log"
ok "stat of a file: log: messages and bytes queued, read position, size, limit, oldest age, sync mode"

# ---- dump -------------------------------------------------------------------
expect 0 "$IPCX" dump "$U" > d.out
grep -Eqx 'seq 2 offset 4136 len 3 sent [0-9T:.-]+Z queued "two"' d.out || fail "dump: $(cat d.out)"
grep -Eqx 'seq 4 offset 4216 len 4 sent [0-9T:.-]+Z queued "four"' d.out || fail "dump: $(cat d.out)"
grep -qx 'queued: 3 messages, 12 payload bytes (0 borrowed); 0 corrupt' d.out || fail "dump: $(cat d.out)"
! grep -q '"one"' d.out || fail "dump lists a consumed message: $(cat d.out)"
expect 0 "$IPCX" dump --format hex "$U" > h.out
grep -Eq 'seq 3 offset 4176 len 5 .* queued 7468726565$' h.out || fail "dump hex: $(cat h.out)"
expect 0 "$IPCX" dump --format json "$U" > d.json
grep -q '{"seq":2,"offset":4136,"len":3,"sent_ns":[0-9]*,"state":"queued","data":"dHdv"}' d.json ||
	fail "dump json: $(cat d.json)"
grep -q '"queued":3,"queued_payload_bytes":12,"borrowed":0,"corrupt":0}$' d.json ||
	fail "dump json totals: $(cat d.json)"
[ "$(sum "$LOG")" = "$before" ] || fail "dump changed the log"
expect 2 "$IPCX" dump --bytes "$U" 2> bytes.err
ok "dump of a file: log: every queued message, text, hex and json; nothing taken or written"

# A record corrupted in the middle: dump names its offset, changes nothing,
# and the receive that meets it says the same.
printf '\x5a' | dd of="$LOG" bs=1 seek=$((4176 + 32 + 1)) conv=notrunc 2> /dev/null
before=$(sum "$LOG")
expect 0 "$IPCX" dump "$U" > c.out
grep -qx 'seq 3 offset 4176 corrupt: 40 bytes a receive reports (-EPROTO) and skips' c.out ||
	fail "dump corrupt: $(cat c.out)"
grep -qx 'queued: 2 messages, 7 payload bytes (0 borrowed); 1 corrupt' c.out || fail "dump: $(cat c.out)"
expect 0 "$IPCX" dump --format json "$U" > c.json
grep -q '{"seq":3,"offset":4176,"len":40,"state":"corrupt"}' c.json || fail "dump json corrupt: $(cat c.json)"
[ "$(sum "$LOG")" = "$before" ] || fail "dump changed a corrupt log"
ok "dump of a log with a corrupt record: its offset, the rest listed, nothing changed"

# Not a log, a link, nothing: clear errors, nothing touched.
echo 'just text' > plain
psum=$(sum plain)
expect 1 "$IPCX" dump file:plain 2> plain.err
grep -q 'not an ipcx log' plain.err || fail "dump of a text file: $(cat plain.err)"
[ "$(sum plain)" = "$psum" ] || fail "dump changed a foreign file"
expect 1 "$IPCX" rm file:plain 2> rmplain.err
grep -q 'not an ipcx log' rmplain.err || fail "rm of a text file: $(cat rmplain.err)"
[ "$(sum plain)" = "$psum" ] || fail "rm changed a foreign file"
for verb in recv send stat; do
	case $verb in
	recv) expect 1 "$IPCX" recv file:plain -n 1 -t 5000 2> verb.err ;;
	send) expect 1 "$IPCX" send file:plain x 2> verb.err ;;
	stat) expect 1 "$IPCX" stat file:plain 2> verb.err ;;
	esac
	grep -q 'not an ipcx log' verb.err || fail "$verb of a text file: $(cat verb.err)"
	! grep -q 'framing' verb.err || fail "$verb of a text file speaks of framing: $(cat verb.err)"
done
[ "$(sum plain)" = "$psum" ] || fail "recv, send or stat changed a foreign file"
ln -s "$LOG" link
expect 1 "$IPCX" dump file:link 2> link.err
grep -q 'symbolic link' link.err || fail "dump of a link: $(cat link.err)"
expect 4 "$IPCX" dump file:nothing 2> /dev/null
ok "dump, rm, recv, send, stat of a foreign file, a symbolic link, a missing log: the reason, nothing touched"

# Kept by default: every command above closed the log; rm removes it.
[ -f "$LOG" ] || fail "the log did not outlive the commands that used it"
expect 0 "$IPCX" rm "$U"
[ ! -e "$LOG" ] || fail "rm left the log"
expect 4 "$IPCX" stat "$U" 2> /dev/null
ok "a log is kept after every close; ipcx rm removes it"

# ---- the documented reader, in another language -------------------------------
src=${IPCX_TEST_SOURCE_DIR:-}
if ! command -v python3 > /dev/null || [ -z "$src" ]; then
	ok "# SKIP python3 or the source tree (IPCX_TEST_SOURCE_DIR) not found"
	exit 0
fi
expect 0 "$IPCX" create "$U?sync=none"
expect 0 "$IPCX" send "$U" alpha '' 'gamma with spaces' delta epsilon
expect 0 "$IPCX" recv "$U" -n 2 > /dev/null
python3 - "$src/docs/wire-format.md" "$LOG" > py.out 2> py.err <<'EOF' || fail "python reader: $(cat py.err)"
import re, sys
doc = open(sys.argv[1]).read()
part = doc[doc.index("## The `file:` log"):]
code = re.findall(r"```python\n(.*?)```", part, re.S)[-1]
ns = {}
exec(code, ns)
for body in ns["records"](sys.argv[2]):
    print(body.decode())
EOF
printf 'gamma with spaces\ndelta\nepsilon\n' > want.out
cmp -s py.out want.out || fail "python reader read: $(cat py.out)"
expect 0 "$IPCX" recv "$U" -n 3 > got.out
cmp -s got.out want.out || fail "recv after the python reader: $(cat got.out)"
ok "the reader in docs/wire-format.md (python3) reads what ipcx wrote, consuming nothing"
