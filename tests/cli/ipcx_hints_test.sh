# SPDX-License-Identifier: MIT
# ipcx_hints_test.sh - every hint is true and leads somewhere: a missing
# directory is named as such (not "create it with" the same command); a
# regular file where a socket or FIFO would go is described and left
# alone, with no --exist-ok that the verb refuses; a suggested command is
# quoted for the shell and, pasted, does what it says; a seqpacket server
# reached as a stream says so; a peer that closes mid-message is named by
# its real address and port, with no blame on the framing; socat's ','
# between keys gets the '&' form; `bench -h` is `bench --help`.
. "$(dirname "$0")/lib.sh"

# hint_cmd FILE: the command a hint suggests, between backquotes.
hint_cmd() { sed -n 's/.*`\(ipcx [^`]*\)`.*/\1/p' "$1"; }

# ---- a directory that does not exist ----------------------------------------
expect 1 "$IPCX" create fifo:nodir/x 2> nodir.err
grep -qx "ipcx: create: fifo:nodir/x: cannot be made there: a directory on its path does not exist" nodir.err ||
	fail "missing directory: $(cat nodir.err)"
! grep -q 'ipcx create' nodir.err || fail "circular hint: $(cat nodir.err)"
ok "create in a missing directory says the directory does not exist"

# ---- a regular file in the way ------------------------------------------------
echo keep > regfile
expect 1 "$IPCX" listen unix:regfile -t 10000 2> lreg.err
grep -q "^ipcx: listen: unix:regfile: regfile exists and is not a socket; .*ipcx will not touch it" lreg.err ||
	fail "listen on a file: $(cat lreg.err)"
! grep -q -e '--exist-ok' -e 'channel already exists' lreg.err || fail "listen on a file: $(cat lreg.err)"
expect 1 "$IPCX" create fifo:regfile --exist-ok 2> creg.err
grep -qx 'ipcx: create: fifo:regfile: regfile exists and is not a FIFO; ipcx will not touch it' creg.err ||
	fail "create --exist-ok on a file: $(cat creg.err)"
expect 1 "$IPCX" rm fifo:regfile 2> rreg.err
grep -qx 'ipcx: rm: fifo:regfile: regfile exists and is not a FIFO; ipcx will not remove it' rreg.err ||
	fail "rm of a file as a FIFO: $(cat rreg.err)"
expect 1 "$IPCX" rm unix:regfile 2> ureg.err
grep -q 'is not a socket; ipcx will not remove it' ureg.err || fail "rm of a file as a socket: $(cat ureg.err)"
[ "$(cat regfile)" = keep ] || fail "the regular file was touched"
ok "a regular file in the way: said what it is, left alone, no --exist-ok hint"

# ---- a suggested command with '&' is quoted, and works when pasted -----------
u='fifo:q?max=100&mode=0640'
expect 4 "$IPCX" send "$u" hi 2> amp.err
cmd=$(hint_cmd amp.err)
[ "$cmd" = "ipcx create 'fifo:q?max=100&mode=0640'" ] || fail "unquoted hint: $(cat amp.err)"
eval "set -- $cmd"
[ $# = 3 ] && [ "$3" = "$u" ] || fail "the hint does not paste as one URI: $cmd"
expect 0 "$IPCX" create "$3"
[ "$(stat -c %a q)" = 640 ] || fail "the pasted command made mode $(stat -c %a q)"
ok "a hint's URI with '&' is quoted for the shell; pasted, it does what it says"

# ---- a seqpacket server reached as a stream -----------------------------------
bg "$IPCX" listen 'unix:sp.sock?type=seqpacket' -n 1 > sp.out 2> sp.err
L=$BG
wait_listening sp.err > /dev/null
expect 1 "$IPCX" send unix:sp.sock hi 2> proto.err
grep -q "^ipcx: send: unix:sp.sock: .*the server there is type=seqpacket: use \`ipcx send 'unix:sp.sock?type=seqpacket'\`" proto.err ||
	fail "seqpacket hint: $(cat proto.err)"
cmd=$(hint_cmd proto.err)
eval "set -- $cmd"
expect 0 "$IPCX" "$2" "$3" hi
reap "$L" 0
[ "$(cat sp.out)" = hi ] || fail "the suggested command did not deliver: $(cat sp.out)"
ok "a seqpacket server reached as a stream: says so; the suggested URI works"

# ---- socat's ',' between keys ---------------------------------------------------
expect 2 "$IPCX" send 'unix:sp.sock?type=seqpacket,mode=0666' hi 2> comma.err
grep -q "keys are joined with '&', quoted for the shell: 'unix:sp.sock?type=seqpacket&mode=0666'" comma.err ||
	fail "comma hint: $(cat comma.err)"
ok "keys joined with ',' get the quoted '&' form"

# ---- a peer that closes in the middle of a message -------------------------------
bg "$IPCX" listen tcp:127.0.0.1:0 -n 1 > /dev/null 2> mid.err
L=$BG
addr=$(wait_listening mid.err)
# A length header for 100 bytes, then 5 of them, then the end.
printf '\000\000\000\144hello' | "$IPCX" send --whole "$addr?framing=raw" || fail "raw send"
wait_for 'grep -q "connection dropped" mid.err'
grep -Eq "^ipcx: listen: $addr: connection 1 from tcp:127\\.0\\.0\\.1:[1-9][0-9]*: the peer closed in the middle of a message \\(9 of 104 bytes received\\); connection dropped$" mid.err ||
	fail "mid-message close: $(cat mid.err)"
! grep -q -i 'framing' mid.err || fail "a peer that closed is blamed on the framing: $(cat mid.err)"
kill -TERM "$L"
reap "$L" 143
ok "a peer closing mid-message is named by address and port, the framing not blamed"

# ---- bench -h -------------------------------------------------------------------
if ! "$IPCX" --help | grep -A1 -E '^  ipcx bench( |$)' | grep -q 'not built yet'; then
	expect 0 "$IPCX" bench -h > bh.out
	expect 0 "$IPCX" bench --help > bhelp.out
	cmp bh.out bhelp.out || fail "bench -h differs from --help"
	head -n 1 bh.out | grep -q '^Usage: ipcx bench ' || fail "bench usage: $(head -n 1 bh.out)"
	ok "bench -h is bench --help, and its usage reads as the others'"
fi
