# SPDX-License-Identifier: MIT
# ipcx_recv_test.sh - `ipcx recv` between two processes on every transport
# built so far: fifo (len, line with `echo`, raw with `cat`), pipe:0 from a
# pipeline, unix stream / seqpacket / dgram, unix @abstract, tcp port 0;
# the four formats byte for byte; -n; -t (status 3, never early); --wait.
. "$(dirname "$0")/lib.sh"

# ---- transports -----------------------------------------------------------

"$IPCX" create fifo:q
bg "$IPCX" recv fifo:q -n 3 > fifo.out 2> fifo.err
expect 0 "$IPCX" send fifo:q one two three
reap "$BG" 0
printf 'one\ntwo\nthree\n' | cmp - fifo.out || fail "fifo"
ok "fifo: send/recv between two processes"

# framing=line speaks to echo; framing=raw to cat.
"$IPCX" create fifo:l
bg "$IPCX" recv 'fifo:l?framing=line' -n 2 > line.out 2> line.err
echo hello > l
echo world > l
reap "$BG" 0
printf 'hello\nworld\n' | cmp - line.out || fail "fifo framing=line from echo"
ok "fifo?framing=line receives what echo writes"

"$IPCX" create fifo:r
head -c 200000 /dev/urandom > blob
bg "$IPCX" recv 'fifo:r?framing=raw' --format raw > raw.out 2> raw.err
R=$BG
cat blob > r
wait_for '[ "$(stat -c %s raw.out)" -ge 200000 ]'
kill -TERM "$R"
reap "$R" 143
cmp blob raw.out || fail "fifo framing=raw from cat"
ok "fifo?framing=raw --format raw receives what cat writes, byte for byte"

bg cat r > cat.out
C=$BG
expect 0 "$IPCX" send 'fifo:r?framing=raw' "hello " world
reap "$C" 0
[ "$(cat cat.out)" = "hello world" ] || fail "cat reading framing=raw: $(cat cat.out)"
ok "cat reads what send fifo?framing=raw writes"

# pipe:0 is standard input: receive until the pipe ends.
"$IPCX" send pipe:1 x "" y | "$IPCX" recv pipe:0 --format hex > pipe.out
printf '78\n\n79\n' | cmp - pipe.out || fail "pipe:1 | pipe:0"
printf 'a\nb\n' | "$IPCX" recv 'pipe:0?framing=line' > pipeline.out
printf 'a\nb\n' | cmp - pipeline.out || fail "pipe:0?framing=line"
: | expect 0 "$IPCX" recv pipe:0 > nothing.out
[ ! -s nothing.out ] || fail "empty pipe"
ok "pipe:0 reads a pipeline until it ends (status 0)"

# Sockets: recv creates the listener and announces it.
for uri in unix:s.sock 'unix:sp.sock?type=seqpacket' 'unix:dg.sock?type=dgram' \
	"unix:@ipcx-cli-$$" "unix:@ipcx-cli-sp-$$?type=seqpacket" tcp:127.0.0.1:0; do
	rm -f sock.out sock.err
	bg "$IPCX" recv "$uri" -n 4 > sock.out 2> sock.err
	R=$BG
	addr=$(wait_listening sock.err)
	expect 0 "$IPCX" send "$addr" first second
	printf 'third\nfourth\n' | expect 0 "$IPCX" send "$addr"
	reap "$R" 0
	printf 'first\nsecond\nthird\nfourth\n' | cmp - sock.out || fail "$uri: $(cat sock.out)"
	case $uri in
	unix:@*) ;;
	unix:*)
		f=${uri#unix:}
		f=${f%%\?*}
		[ ! -e "$f" ] || fail "$uri: socket file left behind"
		;;
	esac
	ok "recv $uri from two clients in turn"
done

# ---- formats, byte for byte ---------------------------------------------

"$IPCX" create fifo:fmt
for f in text hex json raw; do
	bg "$IPCX" recv fifo:fmt -n 3 --format "$f" > "fmt.$f" 2> fmt.err
	R=$BG
	expect 0 "$IPCX" send fifo:fmt hi ""
	printf '\000\377\n' | expect 0 "$IPCX" send --whole fifo:fmt
	reap "$R" 0
done
printf 'hi\n\n\000\377\n\n' | cmp - fmt.text || fail "text format"
printf '6869\n\n00ff0a\n' | cmp - fmt.hex || fail "hex format"
printf '{"data":"aGk=","len":2}\n{"data":"","len":0}\n{"data":"AP8K","len":3}\n' |
	cmp - fmt.json || fail "json format: $(cat fmt.json)"
printf 'hi\000\377\n' | cmp - fmt.raw || fail "raw format"
ok "text, hex, json and raw formats, exact bytes"

# json carries what the mechanism knows: the sender's pid/uid/gid on unix.
bg "$IPCX" recv unix:cred.sock -n 1 --format json > cred.out 2> cred.err
R=$BG
wait_listening cred.err > /dev/null
bg "$IPCX" send unix:cred.sock hello
S=$BG
reap "$S" 0
reap "$R" 0
grep -Eq "^\\{\"data\":\"aGVsbG8=\",\"len\":5,\"pid\":$S,\"uid\":$(id -u),\"gid\":[0-9]+\\}\$" cred.out ||
	fail "json with credentials: $(cat cred.out)"
bg "$IPCX" recv 'unix:credsp.sock?type=seqpacket' -n 1 --format json > credsp.out 2> credsp.err
R=$BG
addr=$(wait_listening credsp.err)
bg "$IPCX" send "$addr" x
S=$BG
reap "$S" 0
reap "$R" 0
grep -q "\"pid\":$S," credsp.out || fail "seqpacket json pid: $(cat credsp.out)"
ok "json has pid/uid/gid where the mechanism knows them"

# ---- -n, -t, --wait -----------------------------------------------------

bg "$IPCX" recv fifo:q -n 2 > n.out 2> n.err
R=$BG
# The receiver may be gone before the sender's third message; a FIFO
# sender with no receiver then waits for one until its deadline (status 3).
# Either way "c" is gone once both have closed the FIFO.
"$IPCX" send -t 1000 fifo:q a b c 2> /dev/null || true
reap "$R" 0
printf 'a\nb\n' | cmp - n.out || fail "-n 2"
bg "$IPCX" recv unix:n.sock -n 2 > n3.out 2> n3.err
R=$BG
wait_listening n3.err > /dev/null
bg "$IPCX" send unix:n.sock a b c 2> /dev/null
reap "$R" 0
printf 'a\nb\n' | cmp - n3.out || fail "-n 2 on a socket"
expect 0 "$IPCX" recv fifo:q -n 0
ok "-n stops after COUNT messages"

t0=$(ms_now)
expect 3 "$IPCX" recv fifo:q -t 500 > t.out 2> t.err
t1=$(ms_now)
[ $((t1 - t0)) -ge 500 ] || fail "-t 500 ended after $((t1 - t0)) ms"
[ ! -s t.err ] || fail "-t without -n ends quietly: $(cat t.err)"
bg "$IPCX" recv fifo:q -n 3 -t 1500 > t2.out 2> t2.err
R=$BG
expect 0 "$IPCX" send fifo:q only
t0=$(ms_now)
reap "$R" 3
[ "$(cat t2.out)" = only ] || fail "-t: the message before the deadline"
grep -q '^ipcx: recv: fifo:q: the -t deadline passed after 1 of 3 messages$' t2.err ||
	fail "-t message: $(cat t2.err)"
t0=$(ms_now)
expect 3 "$IPCX" recv unix:t.sock -t 400 -q
t1=$(ms_now)
[ $((t1 - t0)) -ge 400 ] || fail "socket -t 400 ended after $((t1 - t0)) ms"
[ ! -e t.sock ] || fail "socket file left after -t"
ok "-t ends the command with status 3, never early"

expect 4 "$IPCX" recv fifo:nope 2> noent.err
grep -q '^ipcx: recv: fifo:nope: no such channel; create it with `ipcx create fifo:nope`' noent.err ||
	fail "ENOENT message: $(cat noent.err)"
t0=$(ms_now)
expect 3 "$IPCX" recv fifo:nope --wait -t 400 2> /dev/null
t1=$(ms_now)
[ $((t1 - t0)) -ge 400 ] || fail "--wait -t 400 ended after $((t1 - t0)) ms"
bg "$IPCX" recv fifo:later --wait -n 1 -v > wait.out 2> wait.err
R=$BG
wait_log wait.err 'waiting for fifo:later to appear'
"$IPCX" create fifo:later
expect 0 "$IPCX" send fifo:later arrived
reap "$R" 0
[ "$(cat wait.out)" = arrived ] || fail "--wait"
ok "no such channel: 4 at once; --wait waits for it (3 at -t)"

# --idle: status 0 once nothing has arrived for MS.  The sender is already
# waiting when recv starts, so its messages are there at once.
t0=$(ms_now)
expect 0 "$IPCX" recv fifo:q --idle 300 > idle.out
t1=$(ms_now)
[ $((t1 - t0)) -ge 300 ] || fail "--idle 300 ended after $((t1 - t0)) ms"
[ ! -s idle.out ] || fail "--idle: $(cat idle.out)"
bg "$IPCX" send -v fifo:q a "" b 2> idle.err
S=$BG
wait_log idle.err 'joined fifo:'
expect 0 "$IPCX" recv fifo:q --idle 300 --format hex > idle2.out
reap "$S" 0
printf '61\n\n62\n' | cmp - idle2.out || fail "--idle after messages: $(cat idle2.out)"
expect 0 "$IPCX" recv unix:idle.sock --idle 300 -q
[ ! -e idle.sock ] || fail "--idle left the socket file"
expect 3 "$IPCX" recv fifo:q --idle 60000 -t 300
expect 2 "$IPCX" recv fifo:q --idle soon 2> /dev/null
ok "--idle MS ends with status 0 after MS of silence (sockets too); -t still 3"

expect 2 "$IPCX" recv 2> /dev/null
expect 2 "$IPCX" recv fifo:q --format xml 2> /dev/null
expect 2 "$IPCX" recv fifo:q -n many 2> /dev/null
expect 2 "$IPCX" recv fifo:q fifo:r 2> /dev/null
expect 0 "$IPCX" recv --help > /dev/null
ok "recv usage errors and --help"
