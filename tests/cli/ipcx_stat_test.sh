# SPDX-License-Identifier: MIT
# ipcx_stat_test.sh - `ipcx stat` describes the channel, not its own
# handle: a FIFO's receiver (present or not, its pid) and the bytes it has
# not read yet, without taking any; a unix: server listening, with its
# pid; a tcp: server's address as it resolved, no mode; and what the
# registry knows: creator pid and start time, alive, holders.
. "$(dirname "$0")/lib.sh"

start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
key() { sed -n "s/^$1: //p" "$2"; }

# ---- a FIFO: no receiver, then a stopped one with 9 bytes waiting ----------
expect 0 "$IPCX" create fifo:q
expect 0 "$IPCX" stat fifo:q > none.out
[ "$(key receiver none.out)" = no ] || fail "no receiver: $(cat none.out)"
! grep -q '^receiver_pid:' none.out || fail "a receiver pid without a receiver"
[ "$(key mode none.out)" = 0600 ] || fail "mode: $(cat none.out)"
bg "$IPCX" recv fifo:q -n 1 -v > got.out 2> recv.err
R=$BG
wait_log recv.err 'joined fifo:'
kill -STOP "$R"
expect 0 "$IPCX" send fifo:q hello
expect 0 "$IPCX" stat fifo:q > q.out
[ "$(key receiver q.out)" = yes ] || fail "receiver: $(cat q.out)"
[ "$(key receiver_pid q.out)" = "$R" ] || fail "receiver pid: $(cat q.out)"
[ "$(key queued q.out)" = "9 bytes" ] || fail "queued (4-byte header + hello): $(cat q.out)"
expect 0 "$IPCX" stat --json fifo:q > q.json
grep -q "\"receiver\":true,\"receiver_pid\":$R" q.json || fail "stat --json: $(cat q.json)"
grep -q '"queued":9,"queued_unit":"bytes"' q.json || fail "stat --json queued: $(cat q.json)"
kill -CONT "$R"
reap "$R" 0
[ "$(cat got.out)" = hello ] || fail "stat took the message: $(cat got.out)"
ok "stat of a FIFO: its receiver and pid, bytes queued; it takes nothing"

# ---- a unix: server ---------------------------------------------------------
bg "$IPCX" listen unix:srv.sock > /dev/null 2> srv.err
L=$BG
wait_listening srv.err > /dev/null
expect 0 "$IPCX" stat unix:srv.sock > u.out
for kv in "listening: yes" "server_pid: $L" "creator_pid: $L" "creator_alive: yes" \
	"creator_start: $(start_of "$L")" "holders: 1" "kept: no" "mode: 0600"; do
	grep -qx "$kv" u.out || fail "unix server: no '$kv' in: $(cat u.out)"
done
! grep -q '^role:' u.out || fail "stat shows its own role: $(cat u.out)"
kill -TERM "$L"
reap "$L" 143
ok "stat of a unix: server: listening, its pid; the registry's creator, alive, holders"

# ---- a tcp: server, named by host name --------------------------------------
bg "$IPCX" listen tcp:127.0.0.1:0 > /dev/null 2> tcp.err
L=$BG
addr=$(wait_listening tcp.err)
port=${addr##*:}
if getent hosts localhost | grep -q '^127\.0\.0\.1'; then
	asked=tcp:localhost:$port
else
	asked=$addr
fi
expect 0 "$IPCX" stat "$asked" > t.out
grep -qx "uri: tcp:127.0.0.1:$port" t.out || fail "tcp address: $(cat t.out)"
grep -qx 'listening: yes' t.out || fail "tcp listening: $(cat t.out)"
grep -qx "creator_pid: $L" t.out || fail "tcp creator: $(cat t.out)"
! grep -q '^mode:' t.out || fail "a tcp socket has no mode: $(cat t.out)"
kill -TERM "$L"
reap "$L" 143
expect 4 "$IPCX" stat "$addr" 2> /dev/null
ok "stat of a tcp: server: the address and port it resolved to, its creator; no mode"

# ---- a shared-memory ring: geometry and participants, alive or dead ---------
if scheme_built shm; then
	R=ipcx-stat-$$
	stat_exit() {
		local rc=$?
		set +e
		"$IPCX" rm --force "shm:$R" 2> /dev/null
		(exit "$rc")
		cleanup
	}
	trap stat_exit EXIT
	expect 0 "$IPCX" create "shm:$R?slots=8"
	bg "$IPCX" recv "shm:$R"
	P=$BG
	wait_for '"$IPCX" stat "shm:$R" | grep -qx "participant: pid $P alive"'
	expect 0 "$IPCX" stat "shm:$R" > r.out
	for kv in "slots: 8" "slot_size: 4096" "participants: 1" "queued: 0 messages"; do
		grep -qx "$kv" r.out || fail "ring stat: no '$kv' in: $(cat r.out)"
	done
	kill -KILL "$P"
	{ wait "$P" || true; } 2> /dev/null
	expect 0 "$IPCX" stat --json "shm:$R" > r.json
	grep -q "\"slots\":8,\"slot_size\":4096,\"participants\":\\[{\"pid\":$P,\"alive\":false}\\]" r.json ||
		fail "ring stat --json: $(cat r.json)"
	ok "stat of a shm: ring: slots, participants alive and then dead"
fi
