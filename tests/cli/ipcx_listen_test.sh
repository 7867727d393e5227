# SPDX-License-Identifier: MIT
# ipcx_listen_test.sh - `ipcx listen`: many clients served at the same time
# (each holds its connection open until every one has been heard), --echo
# answering `ipcx request` on every socket kind, a client that breaks the
# framing dropped while the others go on, a second server on a live
# address refused, a stale socket file replaced, a non-socket URI refused.
. "$(dirname "$0")/lib.sh"

# Five clients connect and send a first message, then wait for "go" before
# their second one: the server prints all five first messages only if it
# serves every connection at once.
for uri in unix:many.sock tcp:127.0.0.1:0 'unix:manysp.sock?type=seqpacket'; do
	rm -f go many.out many.err
	bg "$IPCX" listen "$uri" -n 10 > many.out 2> many.err
	L=$BG
	addr=$(wait_listening many.err)
	clients=()
	for i in 1 2 3 4 5; do
		{
			echo "c$i-1"
			for _ in $(seq 600); do [ -e go ] && break; sleep 0.05; done
			echo "c$i-2"
		} | "$IPCX" send "$addr" &
		clients+=("$!")
		BG_PIDS+=("$!")
	done
	wait_for '[ "$(lines many.out)" -ge 5 ]'
	[ "$(head -n 5 many.out | sort | tr '\n' ' ')" = "c1-1 c2-1 c3-1 c4-1 c5-1 " ] ||
		fail "$uri: first messages: $(cat many.out)"
	touch go
	for c in "${clients[@]}"; do
		reap "$c" 0
	done
	reap "$L" 0
	[ "$(sort many.out | tr '\n' ' ')" = \
		"c1-1 c1-2 c2-1 c2-2 c3-1 c3-2 c4-1 c4-2 c5-1 c5-2 " ] || fail "$uri: $(cat many.out)"
	ok "listen $uri serves five clients at once"
done

# --echo with request, on every socket kind.
for uri in tcp:127.0.0.1:0 unix:echo.sock 'unix:echosp.sock?type=seqpacket' \
	'unix:echodg.sock?type=dgram' "unix:@ipcx-echo-$$"; do
	rm -f echo.err
	bg "$IPCX" listen "$uri" --echo > echo.out 2> echo.err
	L=$BG
	addr=$(wait_listening echo.err)
	[ "$("$IPCX" request "$addr" "hello there" -t 30000)" = "hello there" ] ||
		fail "$uri: echo"
	[ "$("$IPCX" request "$addr" "" -t 30000 --format hex)" = "" ] || fail "$uri: empty echo"
	[ "$("$IPCX" request -t 30000 --format hex "$addr" hi)" = 6869 ] || fail "$uri: hex echo"
	# Ten at once, each gets its own message back.
	reqs=()
	for i in 0 1 2 3 4 5 6 7 8 9; do
		bg "$IPCX" request "$addr" "request $i" -t 30000 > "req.$i"
		reqs+=("$BG")
	done
	for i in 0 1 2 3 4 5 6 7 8 9; do
		reap "${reqs[$i]}" 0
		[ "$(cat "req.$i")" = "request $i" ] || fail "$uri: request $i got $(cat "req.$i")"
	done
	[ ! -s echo.out ] || fail "$uri: --echo printed something"
	kill -TERM "$L"
	reap "$L" 143
	ok "listen $uri --echo answers request, ten at once"
done

# A client that breaks the framing is dropped with a clear line on standard
# error; the server goes on serving the others.
bg "$IPCX" listen unix:proto.sock -n 2 > proto.out 2> proto.err
L=$BG
wait_listening proto.err > /dev/null
expect 0 "$IPCX" send 'unix:proto.sock?framing=raw' 'GET / HTTP/1.0'
wait_for 'grep -q "connection dropped" proto.err'
expect 0 "$IPCX" send unix:proto.sock still served
reap "$L" 0
printf 'still\nserved\n' | cmp - proto.out || fail "after a bad client: $(cat proto.out)"
# The address is the canonical one the server announced; the client is
# named by pid.
grep -Eq "^ipcx: listen: unix:$T/proto.sock: connection 1 \\(pid [0-9]+, uid $(id -u)\\): frame length [0-9]+ exceeds max=[0-9]+.*framing=.*connection dropped" proto.err ||
	fail "EPROTO message: $(cat proto.err)"
ok "a client breaking the framing is dropped; the others are served"

# One live server per address; a dead one's socket file is replaced.
bg "$IPCX" listen unix:busy.sock > /dev/null 2> busy.err
L=$BG
wait_listening busy.err > /dev/null
expect 1 "$IPCX" listen unix:busy.sock 2> busy2.err
grep -q '^ipcx: listen: unix:busy.sock: address in use' busy2.err || fail "EADDRINUSE: $(cat busy2.err)"
kill -KILL "$L"
{ wait "$L" || true; } 2> /dev/null
[ -S busy.sock ] || fail "SIGKILL leaves the socket file (precondition)"
expect 4 "$IPCX" send unix:busy.sock x 2> stale.err
grep -q 'connection refused' stale.err || fail "stale socket: $(cat stale.err)"
bg "$IPCX" listen unix:busy.sock -n 1 > busy.out 2> busy3.err
L=$BG
wait_listening busy3.err > /dev/null
expect 0 "$IPCX" send unix:busy.sock revived
reap "$L" 0
[ "$(cat busy.out)" = revived ] || fail "server after a stale socket"
[ ! -e busy.sock ] || fail "socket file left behind"
ok "a live server's address is refused (1); a dead one's socket is replaced"

# tcp json has no credentials; a tcp port nobody listens on is status 4.
bg "$IPCX" listen tcp:127.0.0.1:0 -n 1 --format json > tj.out 2> tj.err
L=$BG
addr=$(wait_listening tj.err)
expect 0 "$IPCX" send "$addr" x
reap "$L" 0
[ "$(cat tj.out)" = '{"data":"eA==","len":1}' ] || fail "tcp json: $(cat tj.out)"
expect 4 "$IPCX" send "$addr" x 2> refused.err
grep -q "^ipcx: send: $addr: connection refused" refused.err || fail "$(cat refused.err)"
ok "tcp: json without credentials; a closed port is status 4"

expect 2 "$IPCX" listen fifo:x 2> nonsock.err
grep -q 'listen serves sockets' nonsock.err || fail "listen fifo: $(cat nonsock.err)"
expect 2 "$IPCX" listen 2> /dev/null
expect 2 "$IPCX" listen unix:a.sock unix:b.sock 2> /dev/null
expect 0 "$IPCX" listen --help > /dev/null
ok "listen usage errors and --help"
