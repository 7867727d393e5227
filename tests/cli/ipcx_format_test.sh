# SPDX-License-Identifier: MIT
# ipcx_format_test.sh - `ipcx send --format hex|json` reads what `ipcx recv
# --format hex|json` writes: `recv A --format json | send B --format json`
# copies 300 random binary messages (empty ones, newlines, NULs, 0xff
# included) byte for byte, over FIFOs and over a socket whose json carries
# credentials; a line that is not in the format stops send with status 1
# and the count; an argument that is not is a usage error, nothing sent.
. "$(dirname "$0")/lib.sh"

# 300 messages of 0..600 random bytes, as hex lines; every 10th empty, and
# a few that are all newlines.
for ((i = 0; i < 300; i++)); do
	if ((i % 10 == 0)); then
		echo
	elif ((i % 37 == 0)); then
		echo 0a0a0a
	else
		head -c $((RANDOM % 600 + 1)) /dev/urandom | od -An -v -tx1 | tr -d ' \n'
		echo
	fi
done > in.hex

"$IPCX" create fifo:a
"$IPCX" create fifo:b
"$IPCX" create fifo:c
# c <-hex- b <-json- a <-hex- in.hex
bg "$IPCX" recv fifo:c -n 300 --format hex > out.hex 2> c.err
C=$BG
bg sh -c '"$0" recv fifo:b -n 300 --format hex | "$0" send fifo:c --format hex' "$IPCX"
B=$BG
bg sh -c '"$0" recv fifo:a -n 300 --format json | "$0" send fifo:b --format json' "$IPCX"
A=$BG
expect 0 "$IPCX" send fifo:a --format hex < in.hex
reap "$A" 0
reap "$B" 0
reap "$C" 0
cmp in.hex out.hex || fail "hex -> json -> hex round trip differs"
ok "recv --format json | send --format json (and hex) copies 300 binary messages"

# Over a socket: json with pid/uid/gid, which send ignores.
bg "$IPCX" recv unix:dst.sock -n 300 --format hex > sock.hex 2> dst.err
D=$BG
wait_listening dst.err > /dev/null
bg "$IPCX" recv unix:src.sock -n 300 --format json > src.json 2> src.err
S=$BG
wait_listening src.err > /dev/null
expect 0 "$IPCX" send unix:src.sock --format hex < in.hex
reap "$S" 0
grep -q '"pid":' src.json || fail "json from a socket has no pid (precondition)"
expect 0 "$IPCX" send unix:dst.sock --format json < src.json
reap "$D" 0
cmp in.hex sock.hex || fail "socket json round trip differs"
ok "json with credentials round-trips; the metadata is ignored"

# Arguments are in the format too; checked before anything is opened.
bg "$IPCX" recv fifo:c -n 3 --format hex > args.hex 2> /dev/null
R=$BG
expect 0 "$IPCX" send fifo:c --format hex 00FF "" 0a
reap "$R" 0
printf '00ff\n\n0a\n' | cmp - args.hex || fail "hex arguments: $(cat args.hex)"
bg "$IPCX" recv fifo:c -n 2 --format raw > args.raw 2> /dev/null
R=$BG
expect 0 "$IPCX" send fifo:c --format json '{"data":"aGk="}' ' { "len" : 1, "x": [1, {"y": null}], "data" : "eA" } '
reap "$R" 0
printf 'hix' | cmp - args.raw || fail "json arguments: $(od -c args.raw)"
for bad in 0 0g; do
	expect 2 "$IPCX" send fifo:c --format hex "$bad" 2> bad.err
	grep -q "^ipcx: send: MESSAGE 1 is not in --format hex" bad.err || fail "hex '$bad': $(cat bad.err)"
done
for bad in '{}' '{"data":"aGk=","len":3}' '{"data":"a"}' '{"data":"aG=k"}' '{"data":1}' \
	'{"data":"aGk=","data":"aGk="}' '{"data":"aGk="} x' '"aGk="' '{"data":"aGk=",}' '{"data":"aGk=' \
	'{"data":"a\q"}'; do
	expect 2 "$IPCX" send fifo:c --format json "$bad" 2> bad.err
	grep -q "^ipcx: send: MESSAGE 1 is not in --format json" bad.err || fail "json '$bad': $(cat bad.err)"
done
ok "MESSAGE arguments in --format; malformed ones are usage errors"

# A bad line on standard input: status 1, which line, how many were sent.
bg "$IPCX" recv fifo:c -n 2 > good.out 2> /dev/null
R=$BG
printf '{"data":"b25l"}\n{"data":"dHdv"}\nnot json\n{"data":"bm90"}\n' |
	expect 1 "$IPCX" send fifo:c --format json 2> line.err
reap "$R" 0
printf 'one\ntwo\n' | cmp - good.out || fail "before the bad line: $(cat good.out)"
grep -qx 'ipcx: send: fifo:c: line 3 of standard input is not a message in --format json: a JSON object was expected; 2 sent' line.err ||
	fail "bad line: $(cat line.err)"
expect 3 "$IPCX" recv fifo:c -t 300 > after.out
[ ! -s after.out ] || fail "a message after the bad line was sent"
ok "a line not in --format stops send: status 1, the line and the count"

# An over-max message in hex: the decoded size counts.
bg "$IPCX" recv 'fifo:c?max=4' -n 1 --format hex > max.out 2> /dev/null
R=$BG
printf '01020304\n0102030405\n' | expect 1 "$IPCX" send 'fifo:c?max=4' --format hex 2> max.err
reap "$R" 0
[ "$(cat max.out)" = 01020304 ] || fail "max: $(cat max.out)"
grep -q 'message 2 is 5 bytes, over max=4; 1 sent' max.err || fail "max: $(cat max.err)"
ok "hex: the decoded size is what max= limits"

expect 2 "$IPCX" send fifo:c --format raw x 2> /dev/null
expect 2 "$IPCX" send fifo:c --format xml x 2> /dev/null
expect 2 "$IPCX" send fifo:c --whole --format json < /dev/null 2> /dev/null
ok "send --format usage errors"
