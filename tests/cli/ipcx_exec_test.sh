# SPDX-License-Identifier: MIT
# ipcx_exec_test.sh - `ipcx listen URI --exec CMD`: a command per
# connection with the connection on its standard input and output.  50
# clients at once, each answered by its own command (which knows its
# peer's pid); framing=raw passes bytes as they are (cat as an echo
# server, like socat's fork,EXEC:cat); --format json carries binary
# payloads and newlines; the client hanging up ends the command's input;
# the command ending its output ends the connection; exit statuses logged
# with -v; SIGTERM ends the commands with the server; usage errors.
. "$(dirname "$0")/lib.sh"

# A line-oriented responder: the shell's echo writes each line at once.
RESPOND='while IFS= read -r l; do echo "re: $l from $IPCX_PEER_PID"; done'

bg "$IPCX" listen unix:ex.sock --exec "$RESPOND" -n 50 -v > ex.out 2> ex.err
L=$BG
wait_listening ex.err > /dev/null
reqs=()
for i in $(seq 50); do
	bg "$IPCX" request unix:ex.sock "question $i" -t 60000 > "ex.$i" 2> "ex.$i.err"
	reqs+=("$BG")
done
for i in $(seq 50); do
	reap "${reqs[$((i - 1))]}" 0
	[ "$(cat "ex.$i")" = "re: question $i from ${reqs[$((i - 1))]}" ] ||
		fail "client $i got '$(cat "ex.$i")'"
done
reap "$L" 0
[ ! -s ex.out ] || fail "--exec printed on the server's output: $(cat ex.out)"
[ "$(grep -c 'started `while' ex.err)" = 50 ] || fail "-v: 50 commands started: $(cat ex.err)"
[ "$(grep -cE 'connection [0-9]+: pid [0-9]+ exited with status 0$' ex.err)" = 50 ] ||
	fail "-v: 50 exit statuses: $(grep exited ex.err)"
[ ! -e ex.sock ] || fail "socket file left"
ok "--exec: 50 concurrent clients, each answered by its own command"

# framing=raw: the bytes as they are, both ways: cat is an echo server.
bg "$IPCX" listen 'tcp:127.0.0.1:0?framing=raw' --exec cat > /dev/null 2> raw.err
L=$BG
addr=$(wait_listening raw.err)
port=${addr#tcp:127.0.0.1:}
port=${port%%\?*}
exec {fd}<> "/dev/tcp/127.0.0.1/$port"
printf 'no framing\nat all' >&"$fd"
IFS= read -r line <&"$fd"
[ "$line" = "no framing" ] || fail "raw echo: '$line'"
head -c 6 <&"$fd" > raw.got
printf 'at all' | cmp - raw.got || fail "raw echo tail: $(cat raw.got)"
exec {fd}>&-
[ "$("$IPCX" request "$addr" "hello" -t 30000)" = hello ] || fail "raw request"
kill -TERM "$L"
reap "$L" 143
ok "--exec on framing=raw passes bytes as they are (cat echoes)"

# --format json: what CMD reads and writes is `recv --format json` lines,
# so a message with a newline or binary bytes survives; text splits it.
bg "$IPCX" listen unix:js.sock --exec cat --format json > /dev/null 2> js.err
L=$BG
wait_listening js.err > /dev/null
expect 0 "$IPCX" request unix:js.sock "$(printf 'two\nlines')" --format hex -t 30000 > js.out
[ "$(cat js.out)" = 74776f0a6c696e6573 ] || fail "json exec: $(cat js.out)"
kill -TERM "$L"
reap "$L" 143
bg "$IPCX" listen unix:tx.sock --exec cat > /dev/null 2> tx.err
L=$BG
wait_listening tx.err > /dev/null
expect 0 "$IPCX" request unix:tx.sock "$(printf 'two\nlines')" -t 30000 > tx.out
[ "$(cat tx.out)" = two ] || fail "text exec: one line, one message: $(cat tx.out)"
kill -TERM "$L"
reap "$L" 143
ok "--exec --format json keeps a payload whole; text is a message a line"

# The client hanging up ends the command's input: cat > file finishes.
bg "$IPCX" listen unix:in.sock --exec 'cat > got.txt' -n 1 > /dev/null 2> in.err
L=$BG
wait_listening in.err > /dev/null
expect 0 "$IPCX" send unix:in.sock a "" c
reap "$L" 0
printf 'a\n\nc\n' | cmp - got.txt || fail "command input: $(od -c got.txt)"
ok "the client's messages reach the command as lines; its hang-up ends the input"

# The command ending its output ends the connection, and its status is
# logged; a client waiting for a reply is told the peer hung up.
bg "$IPCX" listen unix:st.sock --exec 'read -r l; exit 7' -n 1 -v > /dev/null 2> st.err
L=$BG
wait_listening st.err > /dev/null
expect 1 "$IPCX" request unix:st.sock hi -t 30000 2> st2.err
reap "$L" 0
grep -q 'hung up without replying' st2.err || fail "client: $(cat st2.err)"
grep -Eq '^ipcx: listen: \[[-0-9 :.]+\] connection 1: pid [0-9]+ exited with status 7$' st.err ||
	fail "exit status not logged: $(cat st.err)"
ok "the command ending ends the connection; -v logs its exit status"

# SIGTERM ends the server and the commands it started.
bg "$IPCX" listen unix:kill.sock --exec 'echo started; exec sleep 600' -v > /dev/null 2> kill.err
L=$BG
wait_listening kill.err > /dev/null
exec {fd}< <("$IPCX" request unix:kill.sock x -t 60000)
wait_log kill.err 'started `echo started; exec sleep 600` as pid [0-9]+'
child=$(sed -n 's/.*as pid \([0-9]*\)$/\1/p' kill.err | head -n 1)
IFS= read -r line <&"$fd"
[ "$line" = started ] || fail "request before SIGTERM: '$line'"
exec {fd}<&-
kill -0 "$child" || fail "the command is not running"
kill -TERM "$L"
reap "$L" 143
! kill -0 "$child" 2> /dev/null || fail "the command outlived the server"
grep -q "pid $child killed by signal 15" kill.err || fail "kill not logged: $(cat kill.err)"
[ ! -e kill.sock ] || fail "socket file left"
ok "SIGTERM ends the server and its commands"

expect 2 "$IPCX" listen unix:u.sock --exec cat --echo 2> u.err
grep -q 'pick one' u.err || fail "--exec --echo: $(cat u.err)"
expect 2 "$IPCX" listen unix:u.sock --exec '' 2> /dev/null
expect 2 "$IPCX" listen 'unix:dg.sock?type=dgram' --exec cat 2> u.err
grep -q 'has none (type=dgram)' u.err || fail "--exec on dgram: $(cat u.err)"
[ ! -e dg.sock ] || fail "dgram socket left"
expect 2 "$IPCX" listen unix:u.sock --exec 2> /dev/null
ok "--exec usage errors"
