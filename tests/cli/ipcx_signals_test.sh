# SPDX-License-Identifier: MIT
# ipcx_signals_test.sh - SIGINT, SIGTERM and SIGHUP end every verb cleanly
# with status 128+N: recv and listen remove the socket they created, a
# blocked recv or send is woken, a send in the middle of a message finishes
# it first; a closed standard output ends recv quietly with status 141.
. "$(dirname "$0")/lib.sh"

# Job control: a non-interactive shell starts background jobs with SIGINT
# ignored, and ipcx (like any well-behaved command) keeps an ignored SIGINT
# ignored.  With -m they get the default dispositions.
set -m

# signal_ends SIGNAL STATUS CMD...: start CMD, wait until it is ready (the
# readiness test is in $READY), send SIGNAL, check STATUS.
signal_ends() {
	local sig=$1 want=$2
	shift 2
	bg "$@"
	local p=$BG
	wait_for "$READY"
	kill "-$sig" "$p"
	reap "$p" "$want"
}

# recv and listen on sockets: the file is removed, whatever the signal.
for sig in INT:130 TERM:143 HUP:129; do
	name=${sig%%:*}
	status=${sig##*:}
	for verb in recv listen; do
		READY='[ -S sig.sock ]'
		signal_ends "$name" "$status" "$IPCX" "$verb" unix:sig.sock -q
		[ ! -e sig.sock ] || fail "$verb: SIG$name left the socket file"
	done
	ok "SIG$name ends recv and listen on unix: with $status; the socket file is removed"
done

# A server with a client connected, and a tcp one.
bg "$IPCX" listen unix:busy.sock > busy.out 2> busy.err
L=$BG
wait_listening busy.err > /dev/null
mkfifo hold
exec 7<> hold
bg "$IPCX" send unix:busy.sock < hold
S=$BG
echo "first" >&7
wait_for 'grep -qx first busy.out'
kill -INT "$L"
reap "$L" 130
[ ! -e busy.sock ] || fail "listen with a client: socket file left"
# The client, waiting on standard input: SIGTERM ends it too.
kill -TERM "$S"
reap "$S" 143
exec 7>&-
ok "SIGINT ends listen with a client connected; SIGTERM ends send reading stdin"

READY='grep -q "listening on" tcp.err'
signal_ends TERM 143 "$IPCX" listen tcp:127.0.0.1:0 2> tcp.err
ok "SIGTERM ends listen on tcp: (143)"

# Blocked inside the library: ipcx_wake() gets it out.
"$IPCX" create fifo:q
bg "$IPCX" recv fifo:q
R=$BG
wait_for "ls -l /proc/$R/fd 2> /dev/null | grep -q '/q\$'"
kill -INT "$R"
reap "$R" 130
ok "SIGINT wakes recv blocked on a FIFO (130)"

# (The registry entry is held once the join is done: the send is then
# waiting for a receiver inside ipcx_send.)
bg "$IPCX" send fifo:q "nobody reads this"
S=$BG
wait_for "ls -l /proc/$S/fd 2> /dev/null | grep -q registry"
kill -TERM "$S"
reap "$S" 143
ok "SIGTERM wakes send waiting for a FIFO receiver (143)"

bg "$IPCX" listen unix:mute.sock > mute.out 2> mute.err
M=$BG
wait_listening mute.err > /dev/null
bg "$IPCX" request unix:mute.sock question
Q=$BG
wait_for 'grep -qx question mute.out'
kill -INT "$Q"
reap "$Q" 130
kill -TERM "$M"
reap "$M" 143
ok "SIGINT ends request waiting for its reply (130)"

# A message already started is finished before the command ends: the
# receiver is stopped, the sender fills the FIFO and blocks in the middle
# of a 1 MiB frame, gets SIGTERM, and the whole message still arrives.
if [ -r /proc/self/io ]; then
	"$IPCX" create 'fifo:big?max=2M'
	bg "$IPCX" recv 'fifo:big?max=2M' -n 1 --format raw > big.out 2> big.err
	R=$BG
	wait_for "ls -l /proc/$R/fd 2> /dev/null | grep -q '/big\$'"
	kill -STOP "$R"
	head -c 1048576 /dev/urandom > big.in
	bg "$IPCX" send --whole 'fifo:big?max=2M' < big.in
	S=$BG
	# Blocked mid-frame: the pipe is full, the frame far from done.
	wait_for "[ \"\$(sed -n 's/^wchar: //p' /proc/$S/io)\" -ge 4096 ]"
	kill -TERM "$S"
	# Resume the receiver only once the sender has taken the signal
	# (its pending set is empty again): the frame is then finished
	# after the signal, not before it.
	wait_for "grep -Eq '^ShdPnd:[[:space:]]*0+\$' /proc/$S/status"
	kill -CONT "$R"
	reap "$S" 143
	reap "$R" 0
	cmp big.in big.out || fail "the message being sent when SIGTERM came was not finished"
	ok "SIGTERM in the middle of a message: the message is finished first (143)"
fi

# Standard output closed under recv: status 141, quietly, socket removed.
(
	set +e
	"$IPCX" recv unix:head.sock -q -t 60000 2> head.err
	echo $? > head.status
) | head -n 1 > head.out &
BG_PIDS+=("$!")
wait_for '[ -S head.sock ]'
expect 0 "$IPCX" send unix:head.sock one
wait_for '[ -s head.out ]'
# Once head has gone, the next message recv writes meets a closed pipe.
wait_for '[ -s head.status ] || { "$IPCX" send unix:head.sock more 2> /dev/null; false; }'
[ "$(cat head.status)" = 141 ] || fail "recv | head: status $(cat head.status)"
[ "$(cat head.out)" = one ] || fail "recv | head: $(cat head.out)"
[ ! -s head.err ] || fail "recv | head was not quiet: $(cat head.err)"
[ ! -e head.sock ] || fail "recv | head left the socket file"
ok "recv | head -n 1: status 141, quiet, socket removed"

set +e
seq 100000 | "$IPCX" send pipe:1 | "$IPCX" recv pipe:0 2> pipe.err | head -n 2 > pipe.out
st=("${PIPESTATUS[@]}")
set -e
[ "${st[2]}" = 141 ] || fail "recv pipe:0 | head: status ${st[2]}"
[ "${st[1]}" = 0 ] || [ "${st[1]}" = 141 ] || fail "send pipe:1 when the reader left: ${st[1]}"
printf '1\n2\n' | cmp - pipe.out || fail "pipe | head output"
[ ! -s pipe.err ] || fail "not quiet: $(cat pipe.err)"
ok "send pipe:1 | recv pipe:0 | head: 141, quietly"
