# SPDX-License-Identifier: MIT
# ipcx_verbose_test.sh - -v/--verbose on every verb: what it opens,
# connections made and lost with the peer's address and pid/uid, each
# message's size, every line timestamped, all on standard error (standard
# output keeps only the messages).
. "$(dirname "$0")/lib.sh"

TS='\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\]'
uid=$(id -u)

for v in send recv listen request create rm stat; do
	"$IPCX" "$v" --help | grep -q -- '-v, --verbose' || fail "$v --help does not describe -v"
done
ok "every verb's --help describes -v"

expect 0 "$IPCX" create -v fifo:q 2> create.err
grep -Eq "^ipcx: create: $TS created fifo:$T/q \\(named pipe, mode 0600, max=[0-9]+\\)" create.err ||
	fail "create -v: $(cat create.err)"
expect 0 "$IPCX" stat --verbose fifo:q > /dev/null 2> stat.err
grep -Eq "^ipcx: stat: $TS joined fifo:$T/q \\(named pipe, max=[0-9]+\\)" stat.err ||
	fail "stat -v: $(cat stat.err)"

bg "$IPCX" recv -v fifo:q -n 2 > recv.out 2> recv.err
R=$BG
expect 0 "$IPCX" send -v fifo:q hello "" 2> send.err
reap "$R" 0
printf 'hello\n\n' | cmp - recv.out || fail "recv -v changed standard output"
grep -Eq "^ipcx: send: $TS joined fifo:$T/q " send.err || fail "send -v open: $(cat send.err)"
grep -Eq "^ipcx: send: $TS message 1: 5 bytes sent$" send.err || fail "send -v sizes: $(cat send.err)"
grep -Eq "^ipcx: send: $TS message 2: 0 bytes sent$" send.err || fail "send -v empty"
grep -Eq "^ipcx: recv: $TS message 1: 5 bytes$" recv.err || fail "recv -v sizes: $(cat recv.err)"
grep -Eq "^ipcx: recv: $TS message 2: 0 bytes$" recv.err || fail "recv -v empty: $(cat recv.err)"
expect 0 "$IPCX" rm -v fifo:q 2> rm.err
grep -Eq "^ipcx: rm: $TS removed fifo:q$" rm.err || fail "rm -v: $(cat rm.err)"
ok "create, stat, send, recv, rm -v: opened, sizes, timestamps"

# Connections made and lost, with pid/uid on unix: and the address on tcp:.
bg "$IPCX" listen -v unix:v.sock --echo > /dev/null 2> lv.err
L=$BG
wait_listening lv.err > /dev/null
grep -Eq "^ipcx: listen: $TS created unix:$T/v.sock \\(UNIX-domain socket.*\\), accepting connections$" lv.err ||
	fail "listen -v created: $(cat lv.err)"
bg "$IPCX" request -v unix:v.sock ping -t 30000 > req.out 2> req.err
Q=$BG
reap "$Q" 0
wait_log lv.err 'connection 1 closed by the peer after 1 messages'
grep -Eq "^ipcx: listen: $TS connection 1 accepted \\(pid $Q, uid $uid\\)$" lv.err ||
	fail "listen -v accepted: $(cat lv.err)"
grep -Eq "^ipcx: listen: $TS connection 1: message 1: 4 bytes$" lv.err || fail "listen -v size"
grep -Eq "^ipcx: request: $TS joined unix:$T/v.sock .*\\(pid $L, uid $uid\\)$" req.err ||
	fail "request -v: the server's pid: $(cat req.err)"
grep -Eq "^ipcx: request: $TS request: 4 bytes sent$" req.err || fail "request -v sent"
grep -Eq "^ipcx: request: $TS reply: 4 bytes$" req.err || fail "request -v reply"
# A client killed mid-connection is a connection lost.
mkfifo hold
exec {h}<> hold
# (Not through bg: an asynchronous command's own redirection is what keeps
# its standard input from being /dev/null.)
"$IPCX" send unix:v.sock < hold &
S=$!
BG_PIDS+=("$S")
echo one >&"$h"
wait_log lv.err 'connection 2: message 1: 3 bytes'
kill -KILL "$S"
{ wait "$S" || true; } 2> /dev/null
wait_log lv.err 'connection 2 closed by the peer after 1 messages'
exec {h}>&-
kill -TERM "$L"
reap "$L" 143
ok "listen -v: connections made and lost with pid/uid, message sizes"

bg "$IPCX" recv -v tcp:127.0.0.1:0 -n 1 > /dev/null 2> tv.err
R=$BG
addr=$(wait_listening tv.err)
expect 0 "$IPCX" send "$addr" x
reap "$R" 0
grep -Eq "^ipcx: recv: $TS connection 1 accepted from tcp:127\\.0\\.0\\.1:[0-9]+$" tv.err ||
	fail "tcp peer address: $(cat tv.err)"
ok "recv -v on tcp: names the peer's address"

# --wait says it is waiting (the readiness other tests rely on).
bg "$IPCX" recv -v --wait fifo:later -n 1 > /dev/null 2> w.err
R=$BG
wait_log w.err "^ipcx: recv: $TS waiting for fifo:later to appear"
"$IPCX" create fifo:later
expect 0 "$IPCX" send fifo:later x
reap "$R" 0
ok "-v with --wait says what it waits for"

[ ! -s req.out ] || [ "$(cat req.out)" = ping ] || fail "request -v changed standard output"
