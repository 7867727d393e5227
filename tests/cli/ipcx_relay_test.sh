# SPDX-License-Identifier: MIT
# ipcx_relay_test.sh - `ipcx relay URI_A URI_B`: a FIFO relayed to a unix
# server, 10^6 messages checked in order through a restart of the far side
# (--reconnect: at most what the stopped server had not read is lost, the
# rest arrives in order, none twice); a relay SIGKILLed mid-stream loses at
# most the one message in flight; two-way (tcp clients through the relay
# to a unix echo server, which restarts); a pipe source that ends ends the
# relay (0); -n; the far side missing (4) or gone without --reconnect (1);
# SIGTERM (143, socket file removed); usage errors.
. "$(dirname "$0")/lib.sh"

N=1000000
case ${IPCX_TEST_SANITIZER:-none} in none | "") ;; *) N=200000 ;; esac

# contiguous FILE: is FILE one run of consecutive numbers?  Prints "FIRST LAST".
contiguous() {
	awk 'NR == 1 { first = $1 } NR > 1 && $1 != prev + 1 { print "gap after " prev ": " $1 > "/dev/stderr"; bad = 1 }
		{ prev = $1 } END { if (bad || NR == 0) exit 1; print first, prev }' "$1"
}

# ---- 10^6 messages, fifo -> unix, the far side restarted -------------------
"$IPCX" create fifo:src
bg "$IPCX" recv unix:far.sock -q > far1.out 2> far1.err
F=$BG
wait_for '[ -S far.sock ]'
# (-v logs every message: relay.log, not a .err file that fail() shows.)
bg "$IPCX" relay fifo:src unix:far.sock --reconnect -v > /dev/null 2> relay.log
Y=$BG
wait_log relay.log 'relaying fifo:src -> unix:far.sock'
bg sh -c 'seq "$1" | "$0" send fifo:src' "$IPCX" "$N"
S=$BG
wait_for '[ "$(lines far1.out)" -ge $((N / 4)) ]'
kill -TERM "$F"
reap "$F" 143
bg "$IPCX" recv unix:far.sock -q > far2.out 2> far2.err
F=$BG
reap "$S" 0
wait_for '[ "$(tail -n 1 far2.out)" = "$N" ]'
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
read -r a1 z1 < <(contiguous far1.out) || fail "before the restart: not in order"
read -r a2 z2 < <(contiguous far2.out) || fail "after the restart: not in order"
[ "$a1" = 1 ] || fail "the first message is $a1"
[ "$z2" = "$N" ] && [ "$a2" -gt "$z1" ] || fail "after the restart: $a2..$z2 (before: ..$z1)"
grep -q 'B: reconnected to unix:far.sock' relay.log || fail "-v: no reconnect logged"
ok "relay fifo -> unix: $N messages in order through a restart of the far side ($((a2 - z1 - 1)) unread by the stopped server)"

# ---- a relay killed mid-stream loses at most the message in flight ---------
rm -f far1.out
bg "$IPCX" recv unix:far.sock -q > kill.out 2> kill.err
F=$BG
wait_for '[ -S far.sock ]'
bg "$IPCX" relay fifo:src unix:far.sock
Y=$BG
seq 200000 > kill.in
# (Not through bg or sh: $S must be the sender itself, to stop it.)
"$IPCX" send fifo:src < kill.in &
S=$!
BG_PIDS+=("$S")
for k in 1 2 3; do
	wait_for "[ \"\$(lines kill.out)\" -ge $((k * 30000)) ]"
	# The sender is held until the next relay reads the FIFO: what a
	# FIFO writer does when it meets no reader is not the relay's doing.
	kill -STOP "$S"
	kill -KILL "$Y"
	{ wait "$Y" || true; } 2> /dev/null
	bg "$IPCX" relay -v fifo:src unix:far.sock 2> "kill.$k.log"
	Y=$BG
	wait_log "kill.$k.log" 'relaying fifo:src'
	kill -CONT "$S"
done
reap "$S" 0
wait_for '[ "$(tail -n 1 kill.out)" = 200000 ]'
kill -TERM "$Y" "$F"
reap "$Y" 143
reap "$F" 143
lost=$(awk 'NR > 1 && $1 != prev + 1 { gap += $1 - prev - 1 } NR > 1 && $1 <= prev { dup++ }
	{ prev = $1 } END { print gap + 0, dup + 0 }' kill.out)
[ "${lost#* }" = 0 ] || fail "messages out of order or twice after SIGKILL: $lost"
[ "${lost% *}" -le 3 ] || fail "three SIGKILLs lost ${lost% *} messages (at most 3)"
ok "a relay SIGKILLed three times loses at most one message each time (${lost% *})"

# ---- two-way: tcp clients through the relay to a unix echo server ----------
bg "$IPCX" listen unix:echo.sock --echo -q
E=$BG
wait_for '[ -S echo.sock ]'
bg "$IPCX" relay tcp:127.0.0.1:0 unix:echo.sock --reconnect -v > /dev/null 2> tw.err
Y=$BG
addr=$(wait_listening tw.err)
[ "$("$IPCX" request "$addr" "round trip" -t 30000)" = "round trip" ] || fail "two-way"
[ "$("$IPCX" request "$addr" "second client" -t 30000)" = "second client" ] || fail "next client"
kill -TERM "$E"
reap "$E" 143
bg "$IPCX" listen unix:echo.sock --echo -q
E=$BG
wait_for '[ -S echo.sock ]'
[ "$("$IPCX" request "$addr" "after a restart" -t 30000)" = "after a restart" ] ||
	fail "two-way after the echo server restarted"
grep -q 'relaying tcp:127.0.0.1:0 -> unix:echo.sock and back' tw.err || fail "-v: two-way"
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$E"
reap "$E" 143
ok "relay tcp <-> unix: replies come back, clients come and go, B restarts"

# ---- ends: a pipe source ending; -n; B missing or gone ----------------------
bg "$IPCX" recv unix:end.sock -n 3 > end.out 2> end.err
R=$BG
wait_listening end.err > /dev/null
"$IPCX" send pipe:1 one "" three | expect 0 "$IPCX" relay pipe:0 unix:end.sock
reap "$R" 0
printf 'one\n\nthree\n' | cmp - end.out || fail "pipe source: $(cat end.out)"
ok "a pipe source that ends ends the relay with status 0, every message on"

bg "$IPCX" recv unix:n.sock -q > n.out 2> /dev/null
R=$BG
wait_for '[ -S n.sock ]'
seq 10 | "$IPCX" send pipe:1 | expect 0 "$IPCX" relay -n 4 pipe:0 unix:n.sock
wait_for '[ "$(lines n.out)" -ge 4 ]'
kill -TERM "$R"
reap "$R" 143
seq 4 | cmp - n.out || fail "-n 4: $(cat n.out)"
ok "-n stops after COUNT messages"

expect 4 "$IPCX" relay fifo:src unix:nobody.sock 2> nb.err
grep -q '^ipcx: relay: unix:nobody.sock: no such channel' nb.err || fail "B missing: $(cat nb.err)"
bg "$IPCX" recv unix:gone.sock -n 1 -q > /dev/null
R=$BG
wait_for '[ -S gone.sock ]'
set +e
seq 100000 | "$IPCX" send pipe:1 2> /dev/null | "$IPCX" relay pipe:0 unix:gone.sock 2> gone.err
st=("${PIPESTATUS[@]}")
set -e
[ "${st[2]}" = 1 ] || fail "B gone: relay status ${st[2]}"
reap "$R" 0
grep -q '^ipcx: relay: unix:gone.sock: .*relayed; --reconnect waits for it' gone.err ||
	fail "B gone: $(cat gone.err)"
ok "B missing: 4; B gone without --reconnect: 1, with the count"

bg "$IPCX" relay unix:term.sock fifo:src -q
Y=$BG
wait_for '[ -S term.sock ]'
kill -TERM "$Y"
reap "$Y" 143
[ ! -e term.sock ] || fail "SIGTERM left the relay's socket file"
ok "SIGTERM ends the relay (143) and removes the socket it served"

expect 2 "$IPCX" relay fifo:src 2> /dev/null
expect 2 "$IPCX" relay fifo:src fifo:x fifo:y 2> /dev/null
expect 2 "$IPCX" relay 'bogus:x' fifo:src 2> /dev/null
expect 2 "$IPCX" relay fifo:src unix:x.sock -n many 2> /dev/null
expect 0 "$IPCX" relay --help > /dev/null
ok "relay usage errors and --help"
