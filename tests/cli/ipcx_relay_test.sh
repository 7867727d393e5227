# SPDX-License-Identifier: MIT
# ipcx_relay_test.sh - `ipcx relay URI_A URI_B`, with checked messages: each
# carries its sequence number and a CRC-32, and its length and every byte
# are a function of the number, so the checker (relay_msgs.c) knows each
# message to the byte.  Sizes are mixed (0..2000 payload bytes, binary).
#
#   shm: -> unix: stream, N messages, the far side restarted (--reconnect):
#     one gap at most, no more than the kernel's socket buffers could hold,
#     nothing repeated, the rest in order to the last
#   sysvmq: -> tcp:, N messages: every one, once, in order
#   file: -> tcp:, the far side restarted twice while the relay waits for A:
#     nothing lost or repeated, in order; each loss and reconnect logged (-v)
#   file: and shm: sources, the relay SIGKILLed four times: nothing lost
#     (borrowed messages are given back), a message repeated at most once a kill,
#     one kill while it holds a message B has no room for
#   sysvmq: (copies, no borrow), the relay SIGTERMed three times: nothing
#     lost, nothing repeated (the message held is delivered before it stops)
#   back-pressure: B stopped, the relay holds at most one message
#   two-way: tcp clients through the relay to a unix echo server, sending
#     without waiting for replies; clients one after another; B restarting
#   a message over B's max=: status 1, both maxima named, a lent one kept
#   ends: pipe source ending, -n, B missing (4), B gone (1), SIGTERM (143),
#   --reconnect waiting for B; usage errors (2)
#
# N is 100000 (40000 under sanitizers); `make stress` sets IPCX_RELAY_MSGS
# to 1000000.
. "$(dirname "$0")/lib.sh"

MSGS=${IPCX_TEST_RELAY_MSGS:?the relay_msgs helper (IPCX_TEST_RELAY_MSGS)}
N=${IPCX_RELAY_MSGS:-100000}
case ${IPCX_TEST_SANITIZER:-none} in none | "") ;; *) N=${IPCX_RELAY_MSGS:-40000} ;; esac
[ "$N" -ge 40000 ] || N=40000 # the restart comes after message N / 4
SHM=ipcx-relay-test-$$
OBJS=()

# Named objects live outside the scratch directory: remove them, after the
# processes that hold them, whether the test passed or not.
relay_cleanup() {
	local rc=$? p o
	set +e
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2> /dev/null
	done
	wait 2> /dev/null
	for o in "${OBJS[@]}"; do
		"$IPCX" rm --force "$o" > /dev/null 2>&1
	done
	(exit "$rc")
	cleanup
}
trap relay_cleanup EXIT

# (A background job's standard input is /dev/null unless the command itself
# redirects it: senders fed by `< <(...)` are started without bg.)
made() {
	"$IPCX" create "$1" > /dev/null
	OBJS+=("$1")
}

# checker NAME LAST [LIMITS...]: a checker reading hex lines from the FIFO
# NAME.pipe (fd 7 holds it open, so receivers may come and go), writing
# "at SEQ" progress and its summary to NAME.out.
checker() {
	local name=$1
	shift
	mkfifo "$name.pipe"
	# (Not through bg: its redirections would be the shell's own, and
	# opening the FIFO would wait for a writer that never comes.)
	"$MSGS" check "$@" < "$name.pipe" > "$name.out" 2> "$name.err" &
	CHK=$!
	BG_PIDS+=("$CHK")
	exec 7> "$name.pipe"
}

# checked NAME: close the checker's input, check its verdict, and set SUM
# to its summary.  (Not in $(...): the checker is this shell's child.)
checked() {
	exec 7>&-
	reap "$CHK" 0
	SUM=$(tail -n 1 "$1.out")
}

at() { # at NAME SEQ: wait for the checker to have passed message SEQ
	wait_for "grep -q '^at $2\$' '$1.out'"
}

all() { # all NAME: wait for the checker to have had every message
	wait_for "grep -q '^all\$' '$1.out'"
}

# What the kernel can hold in one socket connection, both ends: a restart
# of the far side loses what it had not read, never more.
sock_bound() {
	local w r
	case $1 in
	unix)
		w=$(cat /proc/sys/net/core/wmem_max 2> /dev/null || echo 8388608)
		r=$(cat /proc/sys/net/core/rmem_max 2> /dev/null || echo 8388608)
		;;
	tcp)
		w=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem 2> /dev/null || echo 8388608)
		r=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_rmem 2> /dev/null || echo 33554432)
		;;
	esac
	# Doubled as the kernel doubles SO_*BUF; plus 1 MiB of the
	# receiver's own read-ahead.
	echo $((2 * (w + r) + 1048576))
}

# ---- shm: -> unix:, the far side restarted ---------------------------------
made "shm:$SHM?slots=64"
checker a "$N" --max-gaps 1 --max-lost-bytes "$(sock_bound unix)"
bg "$IPCX" recv unix:far.sock -q --format hex >&7 2> far1.err
F=$BG
wait_for '[ -S far.sock ]'
bg "$IPCX" relay "shm:$SHM" unix:far.sock --reconnect 2> relay.err
Y=$BG
t0=$(ms_now)
"$IPCX" send "shm:$SHM" --format hex < <("$MSGS" gen 1 "$N") 2> send.err &
S=$!
BG_PIDS+=("$S")
at a $((N / 40000 * 10000))
kill -TERM "$F"
reap "$F" 143
bg "$IPCX" recv unix:far.sock -q --format hex >&7 2> far2.err
F=$BG
reap "$S" 0
at a "$N"
t1=$(ms_now)
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
checked a
	sum=$SUM
case $sum in *" dups 0 late 0 gaps "[01]" "*) ;; *) fail "shm -> unix: $sum" ;; esac
ok "relay shm: -> unix: $N checked messages through a restart of the far side ($sum; $((N * 1000 / (t1 - t0 + 1))) msg/s end to end)"

# ---- sysvmq: -> tcp:, every message once --------------------------------------
: > mq.key
MQ="sysvmq:ftok:$T/mq.key:1"
made "$MQ"
checker b "$N"
bg "$IPCX" recv tcp:127.0.0.1:0 --format hex >&7 2> tcp.err
F=$BG
addr=$(wait_listening tcp.err)
bg "$IPCX" relay "$MQ" "$addr" 2> relay.err
Y=$BG
t0=$(ms_now)
"$IPCX" send "$MQ" --format hex < <("$MSGS" gen 1 "$N") 2> send.err &
S=$!
BG_PIDS+=("$S")
reap "$S" 0
all b
t1=$(ms_now)
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
checked b
	sum=$SUM
ok "relay sysvmq: -> tcp: $N checked messages, each once, in order ($((N * 1000 / (t1 - t0 + 1))) msg/s end to end)"

# ---- file: -> tcp:, the far side restarted twice, reconnects logged ---------
# The restarts come while the relay waits for A, so it finds B gone before
# it sends: nothing is lost, nothing repeated.
made "file:$T/c.log"
checker c 30000
bg "$IPCX" recv tcp:127.0.0.1:0 --format hex >&7 2> tcp1.err
F=$BG
addr=$(wait_listening tcp1.err)
bg "$IPCX" relay "file:$T/c.log" "$addr" --reconnect -v 2> c.log.txt
Y=$BG
for k in 1 2 3; do
	"$MSGS" gen $((k * 10000 - 9999)) $((k * 10000)) | "$IPCX" send "file:$T/c.log" --format hex
	at c $((k * 10000))
	[ "$k" = 3 ] && break
	kill -TERM "$F"
	reap "$F" 143
	bg "$IPCX" recv "$addr" --format hex -q >&7 2> "tcp$((k + 1)).err"
	F=$BG
done
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
checked c
	sum=$SUM
for k in 1 2; do
	grep -q "B: reconnected to $addr (reconnect $k)" c.log.txt || fail "-v: reconnect $k not logged"
done
[ "$(grep -c 'B: lost ' c.log.txt)" = 2 ] || fail "-v: $(grep -c 'B: lost' c.log.txt) losses logged"
ok "relay file: -> tcp: through two restarts of the far side, nothing lost, each reconnect logged ($sum)"

# ---- SIGKILL with a source that lends: nothing lost --------------------------
# Killed once while it surely holds a message (B stopped, the relay has
# said B is full), then three times wherever it is.  Asserted: every
# message arrives, whole; at most one a kill arrives twice.  Order is not:
# B (one server, every client at once) reads the next relay's connection
# alongside what the killed one left in its socket.
# stop PID: SIGSTOP it and wait until it is stopped.
stop() {
	kill -STOP "$1"
	wait_for "[ \"\$(sed 's/.*) //' /proc/$1/stat | cut -d' ' -f1)\" = T ]"
}

# full LOG: B is full now - a relay (-v) says so after B was stopped.  The
# lines it wrote before, while B was running, are not counted.
full_from() { grep -c 'B: full; waiting' "$1" || true; }

queued() { # queued URI: the messages a named channel holds
	local q
	q=$("$IPCX" stat "$1" 2> /dev/null | sed -n 's/^queued: \([0-9]*\) .*/\1/p')
	echo "${q:-0}"
}
M=50000
for src in "file:$T/k.log" "shm:$SHM-k"; do
	case $src in shm:*) made "$src?slots=32" ;; *) made "$src" ;; esac
	checker k "$M" --max-dups 4 --max-late "$M"
	bg "$IPCX" recv unix:k.sock -q --format hex >&7 2> k.err
	F=$BG
	wait_for '[ -S k.sock ]'
	bg "$IPCX" relay "$src" unix:k.sock -v 2> k.log.txt
	Y=$BG
	"$MSGS" gen 1 10000 | "$IPCX" send "$src" --format hex
	at k 10000
	stop "$F"
	n=$(full_from k.log.txt)
	"$IPCX" send "$src" --format hex < <("$MSGS" gen 10001 "$M") 2> send.err &
	S=$!
	BG_PIDS+=("$S")
	wait_for '[ "$(full_from k.log.txt)" -gt "$n" ]'
	kill -KILL "$Y"
	{ wait "$Y" || true; } 2> /dev/null
	bg "$IPCX" relay "$src" unix:k.sock 2> relay.err
	Y=$BG
	kill -CONT "$F"
	for k in 2 3 4; do
		at k $((k * 10000))
		kill -KILL "$Y"
		{ wait "$Y" || true; } 2> /dev/null
		bg "$IPCX" relay "$src" unix:k.sock 2> relay.err
		Y=$BG
	done
	reap "$S" 0
	all k
	kill -TERM "$Y"
	reap "$Y" 143
	kill -TERM "$F"
	reap "$F" 143
	checked k
	sum=$SUM
	case $sum in *" gaps 0 lost 0 "*) ;; *) fail "SIGKILL, $src: $sum" ;; esac
	ok "relay from ${src%%:*}: SIGKILLed four times (once holding a message B had no room for), nothing lost ($sum)"
	rm -f k.pipe
done

# ---- SIGTERM with a source that copies: nothing lost, nothing twice ---------
# Once while B has no room for the message the relay copied out of A: it
# stays until B takes it.  Then twice wherever it is.  Asserted: every
# message once, whole (order across a restart as above).
M=40000
checker t "$M" --max-late "$M"
bg "$IPCX" recv unix:t.sock -q --format hex >&7 2> t.err
F=$BG
wait_for '[ -S t.sock ]'
bg "$IPCX" relay "$MQ" unix:t.sock -v 2> t.log.txt
Y=$BG
"$MSGS" gen 1 10000 | "$IPCX" send "$MQ" --format hex
at t 10000
stop "$F"
n=$(full_from t.log.txt)
"$IPCX" send "$MQ" --format hex < <("$MSGS" gen 10001 "$M") 2> send.err &
S=$!
BG_PIDS+=("$S")
wait_for '[ "$(full_from t.log.txt)" -gt "$n" ]'
kill -TERM "$Y"
wait_log t.log.txt 'B: delivering the message held'
kill -0 "$Y" 2> /dev/null || fail "SIGTERM: the relay left before B took the message it held"
kill -CONT "$F"
reap "$Y" 143
bg "$IPCX" relay "$MQ" unix:t.sock 2> relay.err
Y=$BG
for k in 2 3; do
	at t $((k * 10000))
	kill -TERM "$Y"
	reap "$Y" 143
	bg "$IPCX" relay "$MQ" unix:t.sock 2> relay.err
	Y=$BG
done
reap "$S" 0
all t
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
checked t
sum=$SUM
ok "relay from sysvmq: (copies) SIGTERMed three times, once holding a message B had no room for: nothing lost, nothing twice ($sum)"

# ---- back-pressure: a stopped B stops the reading of A ----------------------
M=20000
made "shm:$SHM-bp?slots=16"
checker p "$M"
bg "$IPCX" recv unix:p.sock -q --format hex >&7 2> p.err
F=$BG
wait_for '[ -S p.sock ]'
stop "$F"
bg "$IPCX" relay "shm:$SHM-bp" unix:p.sock -v 2> p.log.txt
Y=$BG
"$IPCX" send "shm:$SHM-bp" -v --format hex < <("$MSGS" gen 1 "$M") 2> p.send.txt &
S=$!
BG_PIDS+=("$S")
# Everything blocks: the ring full, the sender waiting, and the relay
# holding at most one message (sent = relayed + queued + held).
held() {
	local s r q
	s=$(grep -c ' bytes sent$' p.send.txt || true)
	r=$(grep -c 'A -> B: ' p.log.txt || true)
	q=$(queued "shm:$SHM-bp")
	echo $((s - r - q))
}
wait_for '[ "$(queued "shm:$SHM-bp")" -ge 15 ] && [ "$(held)" -le 1 ] && [ "$(queued "shm:$SHM-bp")" -ge 15 ]'
kill -0 "$S" 2> /dev/null || fail "back-pressure: the sender finished while B was stopped"
h=$(held)
kill -CONT "$F"
reap "$S" 0
all p
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$F"
reap "$F" 143
checked p
	sum=$SUM
ok "back-pressure: with B stopped the ring stays full and the relay holds $h message(s); then all $M arrive"

# ---- two-way ------------------------------------------------------------------
bg "$IPCX" listen unix:echo.sock --echo -q 2> echo.err
E=$BG
wait_for '[ -S echo.sock ]'
bg "$IPCX" relay tcp:127.0.0.1:0 unix:echo.sock --reconnect -v > /dev/null 2> tw.log.txt
Y=$BG
addr=$(wait_listening tw.log.txt)
# Two clients at once: served one after the other, each its own replies.
bg "$MSGS" echo "$addr" 1 20000 > e1.out 2> e1.err
C1=$BG
bg "$MSGS" echo "$addr" 20001 30000 > e2.out 2> e2.err
C2=$BG
reap "$C1" 0
reap "$C2" 0
[ "$("$IPCX" request "$addr" "round trip" -t 30000)" = "round trip" ] || fail "two-way request"
kill -TERM "$E"
reap "$E" 143
bg "$IPCX" listen unix:echo.sock --echo -q 2> echo.err
E=$BG
wait_for '[ -S echo.sock ]'
[ "$("$IPCX" request "$addr" "after a restart" -t 30000)" = "after a restart" ] ||
	fail "two-way after the echo server restarted"
grep -q 'relaying tcp:127.0.0.1:0 -> unix:echo.sock and back' tw.log.txt || fail "-v: two-way"
[ "$(grep -c 'A: client [0-9]* accepted' tw.log.txt)" = 4 ] || fail "-v: clients: $(grep client tw.log.txt)"
kill -TERM "$Y"
reap "$Y" 143
kill -TERM "$E"
reap "$E" 143
ok "relay tcp <-> unix: 30000 checked messages echoed to two clients that never wait for a reply; clients come and go; B restarts"

# ---- a message too large for B ----------------------------------------------
made "shm:$SHM-big"
"$IPCX" send "shm:$SHM-big" small "$(printf '%0100d' 7)"
bg "$IPCX" recv unix:big.sock -q > big.out 2> big.err
F=$BG
wait_for '[ -S big.sock ]'
expect 1 "$IPCX" relay "shm:$SHM-big" 'unix:big.sock?max=64' 2> big.relay.txt
grep -q "^ipcx: relay: unix:big.sock?max=64: a message of 100 bytes from A (shm:$SHM-big, max=[0-9]*) is over B's max=64; stopping; the message held stays in the source" big.relay.txt ||
	fail "too large: $(cat big.relay.txt)"
wait_for '[ "$(lines big.out)" -ge 1 ]'
[ "$(cat big.out)" = small ] || fail "too large: B got $(cat big.out)"
[ "$("$IPCX" recv "shm:$SHM-big" -n 1 -t 30000)" = "$(printf '%0100d' 7)" ] ||
	fail "the message too large for B is not left in A"
kill -TERM "$F"
reap "$F" 143
ok "a message over B's max stops the relay (1), names both maxima, and stays in A"

# ---- a served A takes the next client (one way) --------------------------------
made "shm:$SHM-srv"
bg "$IPCX" relay tcp:127.0.0.1:0 "shm:$SHM-srv" -v 2> srv.log.txt
Y=$BG
addr=$(wait_listening srv.log.txt)
"$IPCX" send "$addr" one two
"$IPCX" send "$addr" three
wait_for '[ "$("$IPCX" stat "shm:$SHM-srv" | sed -n "s/^queued: //p")" = "3 messages" ]'
kill -TERM "$Y"
reap "$Y" 143
[ "$("$IPCX" recv "shm:$SHM-srv" -n 3 -t 30000 | tr '\n' ' ')" = "one two three " ] ||
	fail "served A: the clients' messages"
grep -q 'A: client 2 accepted' srv.log.txt || fail "-v: second client"
ok "a relay's listening side accepts the next client"

# ---- ends -----------------------------------------------------------------------
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

expect 4 "$IPCX" relay "shm:$SHM-srv" unix:nobody.sock 2> nb.err
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
grep -q '^ipcx: relay: unix:gone.sock: .* [0-9]* relayed.*; --reconnect waits for it' gone.err ||
	fail "B gone: $(cat gone.err)"
ok "B missing: 4; B gone without --reconnect: 1, with the count"

bg "$IPCX" relay "shm:$SHM-srv" unix:late.sock --reconnect -v 2> late.log.txt
Y=$BG
wait_log late.log.txt 'waiting for unix:late.sock to appear'
bg "$IPCX" recv unix:late.sock -n 1 > late.out 2> late.err
R=$BG
"$IPCX" send "shm:$SHM-srv" "late"
reap "$R" 0
[ "$(cat late.out)" = late ] || fail "--reconnect before B: $(cat late.out)"
kill -TERM "$Y"
reap "$Y" 143
ok "--reconnect waits for a B that is not there yet"

bg "$IPCX" relay unix:term.sock "shm:$SHM-srv" -q
Y=$BG
wait_for '[ -S term.sock ]'
kill -TERM "$Y"
reap "$Y" 143
[ ! -e term.sock ] || fail "SIGTERM left the relay's socket file"
ok "SIGTERM ends the relay (143) and removes the socket it served"

usage() { # usage 'STDERR REGEX' ARGS...: status 2 and the message
	local want=$1
	shift
	expect 2 "$IPCX" relay "$@" 2> usage.err
	grep -Eq -e "$want" usage.err || fail "relay $*: $(cat usage.err)"
	grep -q "Try 'ipcx relay --help'" usage.err || fail "relay $*: no hint: $(cat usage.err)"
}
usage 'needs two URIs, A and B' "shm:$SHM-srv"
usage 'needs two URIs' 
usage "unexpected argument 'fifo:y'" "shm:$SHM-srv" fifo:x fifo:y
usage 'bogus:x: invalid URI' bogus:x "shm:$SHM-srv"
usage "unix:x.sock\\?nokey=1: invalid URI" "shm:$SHM-srv" 'unix:x.sock?nokey=1'
usage "-n wants a count, not 'many'" "shm:$SHM-srv" unix:x.sock -n many
usage "-t wants milliseconds, not '-5'" "shm:$SHM-srv" unix:x.sock -t -5
usage "unknown option '--bogus'" --bogus "shm:$SHM-srv" unix:x.sock
[ ! -e x.sock ] || fail "a usage error made something"
expect 0 "$IPCX" relay --help > help.out
grep -q -- '--reconnect' help.out || fail "--help"
ok "relay usage errors (2, each saying what is wrong) and --help"
