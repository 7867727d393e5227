# SPDX-License-Identifier: MIT
# ipcx_send_test.sh - `ipcx send`: arguments as messages, the standard-input
# line rules (empty line, unterminated last line, \r kept, NUL bytes kept,
# --whole), a message over max (status 1, says how many were sent), -t with
# no receiver (status 3, never early), a channel that does not exist (4) and
# --wait for one that appears later.
. "$(dirname "$0")/lib.sh"

"$IPCX" create fifo:q

# Arguments: each one message, "" an empty one, -- before a leading '-'.
bg "$IPCX" recv fifo:q -n 4 --format hex > args.out 2> recv.err
expect 0 "$IPCX" send fifo:q hello "" "two words" -- -dash
reap "$BG" 0
printf '68656c6c6f\n\n74776f20776f726473\n2d64617368\n' > args.want
cmp args.out args.want || fail "messages from arguments"
ok "each argument is one message"

# Standard input: one message a line; an empty line is an empty message;
# an unterminated last line is a message; only "\n" is stripped; NULs stay.
bg "$IPCX" recv fifo:q -n 6 --format hex > lines.out 2> recv.err
printf 'one\n\nthree\r\na\000b\n\nlast' | expect 0 "$IPCX" send fifo:q
reap "$BG" 0
printf '6f6e65\n\n74687265650d\n610062\n\n6c617374\n' > lines.want
cmp lines.out lines.want || fail "standard input line rules"
ok "stdin: empty line, unterminated last line, CR and NUL kept"

# A lone newline is one empty message; empty input is no message at all.
bg "$IPCX" recv fifo:q -n 2 --format json > empty.out 2> recv.err
printf '' | expect 0 "$IPCX" send fifo:q
printf '\n' | expect 0 "$IPCX" send fifo:q
expect 0 "$IPCX" send fifo:q end
reap "$BG" 0
printf '{"data":"","len":0}\n{"data":"ZW5k","len":3}\n' > empty.want
cmp empty.out empty.want || fail "empty input / empty line"
ok "stdin: empty input sends nothing, a lone newline one empty message"

# --whole: all of standard input, newlines included, is one message.
bg "$IPCX" recv fifo:q -n 2 --format hex > whole.out 2> recv.err
printf 'a\nb\n\n' | expect 0 "$IPCX" send fifo:q --whole
printf '' | expect 0 "$IPCX" send --whole fifo:q
reap "$BG" 0
printf '610a620a0a\n\n' > whole.want
cmp whole.out whole.want || fail "--whole"
ok "--whole sends standard input as one message (empty input: one empty message)"

expect 2 "$IPCX" send --whole fifo:q extra 2> usage.err
grep -q -- '--whole' usage.err || fail "--whole with a MESSAGE is a usage error"
ok "--whole with a MESSAGE argument is a usage error"

# Over max: status 1, names the message and how many were sent; nothing
# after it is sent.
bg "$IPCX" recv fifo:q -n 1 > max.out 2> recv.err
expect 1 "$IPCX" send 'fifo:q?max=8' short 0123456789 after 2> max.err
reap "$BG" 0
[ "$(cat max.out)" = short ] || fail "the message before the oversize one"
grep -q '^ipcx: send: fifo:q?max=8: message 2 is 10 bytes, over max=8; 1 sent$' max.err ||
	fail "over-max message: $(cat max.err)"
expect 3 "$IPCX" recv fifo:q -t 300 > after.out
[ ! -s after.out ] || fail "a message after the oversize one was sent"
ok "a message over max stops with status 1 and says how many were sent"

long=$(head -c 100 /dev/zero | tr '\0' x)
bg "$IPCX" recv fifo:q -n 1 > max2.out 2> recv.err
printf 'ok\n%s\nnot\n' "$long" | expect 1 "$IPCX" send 'fifo:q?max=50' 2> max2.err
reap "$BG" 0
[ "$(cat max2.out)" = ok ] || fail "stdin: the line before the long one"
grep -Eq '^ipcx: send: fifo:q\?max=50: message 2 is .*max=50.*; 1 sent$' max2.err || fail "stdin over max: $(cat max2.err)"
printf '%s' "$long" | expect 1 "$IPCX" send --whole 'fifo:q?max=50' 2> max3.err
grep -Eq '^ipcx: send: fifo:q\?max=50: message 1 is .*max=50.*; 0 sent$' max3.err || fail "--whole over max: $(cat max3.err)"
ok "standard input over max: status 1 with the count, line or --whole"

# No receiver: a FIFO sender waits; -t ends it with status 3, never early.
t0=$(ms_now)
expect 3 "$IPCX" send -t 400 fifo:q hi 2> to.err
t1=$(ms_now)
[ $((t1 - t0)) -ge 400 ] || fail "-t 400 ended after $((t1 - t0)) ms"
grep -q '^ipcx: send: fifo:q: .*deadline.*0 sent$' to.err || fail "deadline message: $(cat to.err)"
ok "-t with no receiver: status 3 after the deadline, not before"

# A deadline that comes in the middle of a message breaks the channel
# (the receiver never sees half of it): that is the deadline, status 3.
bg "$IPCX" listen unix:stuck.sock > /dev/null 2> stuck.err
L=$BG
wait_listening stuck.err > /dev/null
kill -STOP "$L"
head -c 8388608 /dev/zero | expect 3 "$IPCX" send --whole unix:stuck.sock -t 1000 2> stuck2.err
grep -qx 'ipcx: send: unix:stuck.sock: the -t deadline passed in the middle of message 1, which the receiver will not see; the channel is broken; 0 sent' stuck2.err ||
	fail "mid-frame deadline: $(cat stuck2.err)"
kill -CONT "$L"
kill -TERM "$L"
reap "$L" 143
ok "-t ending a started message: status 3, the channel broken, said so"

# No such channel: 4 at once; --wait waits for it (status 3 at -t).
expect 4 "$IPCX" send fifo:absent hi 2> noent.err
grep -q '^ipcx: send: fifo:absent: no such channel; create it with `ipcx create fifo:absent`$' noent.err ||
	fail "ENOENT message: $(cat noent.err)"
expect 3 "$IPCX" send --wait -t 300 fifo:absent hi 2> /dev/null
bg "$IPCX" send --wait -v fifo:late "came late" 2> late.err
S=$BG
wait_log late.err 'waiting for fifo:late to appear'
"$IPCX" create fifo:late
expect 0 "$IPCX" recv fifo:late -n 1 > late.out
reap "$S" 0
[ "$(cat late.out)" = "came late" ] || fail "--wait"
ok "no such channel: status 4; --wait waits for it to appear"

# A missing URI or a bad option is a usage error.
expect 2 "$IPCX" send 2> /dev/null
expect 2 "$IPCX" send fifo:q --bogus 2> /dev/null
expect 2 "$IPCX" send -t soon fifo:q x 2> /dev/null
expect 0 "$IPCX" send --help > /dev/null
ok "send usage errors and --help"
