# SPDX-License-Identifier: MIT
# ipcx_request_test.sh - `ipcx request`: one message out, the one reply
# printed in any format; over an inherited pipe pair; a server that hangs up
# without replying (1); no server (4); a reply that never comes (-t: 3,
# never early); --wait for a server that starts later; usage errors.
. "$(dirname "$0")/lib.sh"

bg "$IPCX" listen tcp:127.0.0.1:0 --echo > /dev/null 2> echo.err
E=$BG
addr=$(wait_listening echo.err)

expect 0 "$IPCX" request "$addr" "ping" > r.text
printf 'ping\n' | cmp - r.text || fail "text reply"
expect 0 "$IPCX" request "$addr" "ping" --format json > r.json
printf '{"data":"cGluZw==","len":4}\n' | cmp - r.json || fail "json reply: $(cat r.json)"
expect 0 "$IPCX" request "$addr" "ping" --format raw > r.raw
printf 'ping' | cmp - r.raw || fail "raw reply"
expect 0 "$IPCX" request --format hex "$addr" -- -x > r.hex
printf '2d78\n' | cmp - r.hex || fail "hex reply of a message starting with -"
ok "request prints the one reply, in every format"

# "-": the message is all of standard input, one trailing newline stripped
# (an inner one kept, as in a message that is a file).
printf 'from\nstdin\n' | "$IPCX" request "$addr" - --format hex > r.stdin || fail "request -"
printf '66726f6d0a737464696e\n' | cmp - r.stdin || fail "request - reply: $(cat r.stdin)"
ok "request URI - sends standard input as the one message"

# Over an inherited pipe pair: the responder reads one framed message on
# its standard input and writes the reply on its standard output.  (Plain
# FIFOs plumb it: bash does not pass coproc descriptors on reliably.)
mkfifo to_resp from_resp
bg sh -c 'exec < to_resp > from_resp
	"$0" recv pipe:0 -n 1 | sed "s/^/re: /" | "$0" send pipe:1' "$IPCX"
# Open the write end first: the responder opens to_resp before from_resp.
expect 0 "$IPCX" request pipe:3,4 "over pipes" -t 30000 4> to_resp 3< from_resp > pipe.out
[ "$(cat pipe.out)" = "re: over pipes" ] || fail "pipe:R,W request: $(cat pipe.out)"
ok "request over pipe:RFD,WFD"

# A server that takes the request and hangs up without a reply.
bg "$IPCX" listen unix:mute.sock -n 1 > mute.out 2> mute.err
M=$BG
wait_listening mute.err > /dev/null
expect 1 "$IPCX" request unix:mute.sock hello -t 30000 2> hangup.err
reap "$M" 0
grep -q '^ipcx: request: unix:mute.sock: the peer hung up without replying$' hangup.err ||
	fail "hang-up message: $(cat hangup.err)"
ok "a server that hangs up without replying: status 1"

# A server that never replies: -t ends the request with status 3.
bg "$IPCX" listen unix:silent.sock > /dev/null 2> silent.err
wait_listening silent.err > /dev/null
t0=$(ms_now)
expect 3 "$IPCX" request unix:silent.sock hello -t 500 2> silent2.err
t1=$(ms_now)
[ $((t1 - t0)) -ge 500 ] || fail "-t 500 ended after $((t1 - t0)) ms"
grep -qx 'ipcx: request: unix:silent.sock: the -t deadline passed before the reply came; if the server is up, does it use the same framing= (len, line, raw)?' silent2.err ||
	fail "deadline message: $(cat silent2.err)"
ok "no reply: -t ends the request with status 3, never early"

# Without -t a silent server does not hold the request forever: the
# default deadline (30 s) ends it with status 3, and says it was the
# default.  It runs alongside the rest of the script.
bg "$IPCX" request unix:silent.sock hello 2> default.err
D=$BG

# No server: 4, with a hint; --wait waits for one.
expect 4 "$IPCX" request unix:nobody.sock hi 2> nobody.err
grep -q '^ipcx: request: unix:nobody.sock: no such channel; is a server running?' nobody.err ||
	fail "no server: $(cat nobody.err)"
expect 3 "$IPCX" request unix:nobody.sock hi --wait -t 300 2> /dev/null
bg "$IPCX" request unix:later.sock "eventually" --wait -t 60000 -v > later.out 2> later.wait
Q=$BG
wait_log later.wait 'waiting for unix:later.sock to appear'
bg "$IPCX" listen unix:later.sock --echo > /dev/null 2> later.err
reap "$Q" 0
[ "$(cat later.out)" = eventually ] || fail "--wait reply: $(cat later.out)"
ok "no server: status 4; --wait waits for one"

expect 2 "$IPCX" request 2> /dev/null
expect 2 "$IPCX" request "$addr" 2> /dev/null
expect 2 "$IPCX" request "$addr" one two 2> /dev/null
expect 2 "$IPCX" request fifo:x hi 2> oneway.err
grep -q 'one-way' oneway.err || fail "request on a fifo: $(cat oneway.err)"
expect 0 "$IPCX" request --help > /dev/null
ok "request usage errors and --help"
reap "$D" 3
grep -qx 'ipcx: request: unix:silent.sock: the default 30 s deadline passed before the reply came; if the server is up, does it use the same framing= (len, line, raw)?' default.err ||
	fail "default deadline: $(cat default.err)"
ok "request without -t: the default deadline ends it (3)"
kill -TERM "$E"
reap "$E" 143
