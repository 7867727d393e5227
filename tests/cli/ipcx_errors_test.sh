# SPDX-License-Identifier: MIT
# ipcx_errors_test.sh - the command's contract for mistakes and failures:
# --help / --version, usage errors (status 2: no verb, unknown verb or
# option, malformed URIs the command catches itself, unknown keys and bad
# values the library refuses), verbs not built yet (1, and marked in
# --help), the `ipcx: VERB: URI: reason` format with hints, and every exit
# status from 0 to 4.
. "$(dirname "$0")/lib.sh"

# ---- help and version ---------------------------------------------------

expect 0 "$IPCX" --version > version.out
grep -Eqx 'ipcx [0-9]+\.[0-9]+\.[0-9]+' version.out || fail "--version: $(cat version.out)"
expect 0 "$IPCX" --help > help.out
for v in send recv listen request relay create rm stat ls dump bench; do
	grep -Eq "^  ipcx $v( |\$)" help.out || fail "--help does not list $v"
done
# Every verb but bench (which a build may leave out) is built: none marked.
for v in send recv listen request relay create rm stat ls dump; do
	! grep -A1 -E "^  ipcx $v( |\$)" help.out | grep -q '(not built yet)$' ||
		fail "--help marks $v as not built"
done
grep -q 'Exit status' help.out || fail "--help says nothing of exit statuses"
for v in send recv listen request create rm stat relay ls dump; do
	expect 0 "$IPCX" "$v" --help > vhelp.out
	grep -q "^Usage: ipcx $v" vhelp.out || fail "$v --help: $(head -n 1 vhelp.out)"
	expect 0 "$IPCX" help "$v" > vhelp2.out
	cmp vhelp.out vhelp2.out || fail "ipcx help $v differs from ipcx $v --help"
done
ok "--version, --help (every verb listed, none marked unbuilt), VERB --help"

if ! grep -A1 -E '^  ipcx bench( |$)' help.out | grep -q 'not built yet'; then
	expect 0 "$IPCX" bench --help > /dev/null
else
	expect 1 "$IPCX" bench 2> /dev/null
fi
ok "bench answers --help, or says it is not built"

# ---- usage errors: 2 ------------------------------------------------------

expect 2 "$IPCX" 2> none.err
grep -q '^Usage: ipcx VERB' none.err || fail "no verb: $(cat none.err)"
expect 2 "$IPCX" frobnicate 2> verb.err
grep -qx "ipcx: unknown verb 'frobnicate'" verb.err || fail "unknown verb: $(cat verb.err)"
expect 2 "$IPCX" --frob 2> /dev/null
for v in send recv listen request create rm stat; do
	expect 2 "$IPCX" "$v" fifo:x --no-such-option 2> opt.err
	grep -q "^ipcx: $v: unknown option '--no-such-option'" opt.err || fail "$v: $(cat opt.err)"
	expect 2 "$IPCX" "$v" -Z fifo:x 2> /dev/null
done
ok "no verb, an unknown verb, an unknown option: status 2"

# Malformed URIs, caught before anything is opened.
bad=(
	nocolon ':x' 'FIFO:x' '1fifo:x' 'bogus:x' 'fifo:' 'fifo:a?' 'fifo:a?max'
	'fifo:a?=1' 'fifo:a?max=1&max=2' 'fifo:a?max=1&' 'fifo:a%zz' 'fifo:a%0' 'fifo:a%00b'
	'fifo:a&b' 'unix://x' 'fifo:a?Max=1' 'pipe:' 'unix:'
)
for uri in "${bad[@]}"; do
	for v in send recv create; do
		expect 2 "$IPCX" "$v" "$uri" 2> bad.err
		grep -q "^ipcx: $v: .*invalid URI" bad.err || fail "$v '$uri': $(cat bad.err)"
		grep -q "^Try 'ipcx $v --help'" bad.err || fail "$v '$uri': no usage hint"
	done
done
# Well-formed, but refused by the transport: unknown keys, bad values.
lib_bad=(
	'fifo:a?bogus=1' 'fifo:a?max=abc' 'fifo:a?max=0' 'fifo:a?mode=999' 'fifo:a?framing=xml'
	'unix:s?type=weird' 'tcp:127.0.0.1' 'tcp:127.0.0.1:99999' 'tcp:[::1:80' 'pipe:x'
)
for uri in "${lib_bad[@]}"; do
	for v in send recv; do
		expect 2 "$IPCX" "$v" "$uri" 2> bad.err
		grep -qF "ipcx: $v: $uri: invalid URI" bad.err || fail "$v '$uri': $(cat bad.err)"
	done
done
[ ! -e a ] && [ ! -e s ] || fail "a malformed URI created something"
ok "malformed URIs, unknown keys and bad values: status 2, nothing made"

# ---- failures and their messages -------------------------------------------

expect 4 "$IPCX" send fifo:missing hi 2> e.err
grep -qx 'ipcx: send: fifo:missing: no such channel; create it with `ipcx create fifo:missing`' e.err ||
	fail "$(cat e.err)"
expect 4 "$IPCX" send unix:missing.sock hi 2> e.err
grep -q '^ipcx: send: unix:missing.sock: no such channel; is a server running?' e.err || fail "$(cat e.err)"
# A hint that repeats a URI quotes it for the shell when it must be.
expect 4 "$IPCX" send 'fifo:missing?max=10&mode=0600' hi 2> e.err
grep -qxF "ipcx: send: fifo:missing?max=10&mode=0600: no such channel; create it with \`ipcx create 'fifo:missing?max=10&mode=0600'\`" e.err ||
	fail "quoted hint: $(cat e.err)"
# A socket file nobody listens on (its server was killed) is 4 as well.
bg "$IPCX" listen unix:stale.sock > /dev/null 2> stale.err
L=$BG
wait_listening stale.err > /dev/null
kill -KILL "$L"
{ wait "$L" || true; } 2> /dev/null
expect 4 "$IPCX" send unix:stale.sock hi 2> e.err
grep -q '^ipcx: send: unix:stale.sock: connection refused: nobody is listening; start a server with `ipcx listen unix:stale.sock`$' e.err ||
	fail "$(cat e.err)"
ok "no such channel (ENOENT, ECONNREFUSED): status 4, with a hint"

touch plainfile
expect 1 "$IPCX" send fifo:plainfile hi 2> e.err
grep -qx 'ipcx: send: fifo:plainfile: plainfile exists and is not a FIFO' e.err || fail "$(cat e.err)"
expect 1 "$IPCX" recv pipe:9 2> e.err
grep -q '^ipcx: recv: pipe:9: bad descriptor' e.err || fail "$(cat e.err)"
# Descriptors the shell did not pass are EBADF, even the low numbers the
# command and the library open for themselves (a wake-up eventfd, a
# signal pipe) would otherwise take.
expect 1 "$IPCX" recv pipe:3 -t 10000 3<&- 4<&- 5<&- 2> e.err
grep -q '^ipcx: recv: pipe:3: bad descriptor' e.err || fail "$(cat e.err)"
expect 1 "$IPCX" request pipe:3,4 x -t 10000 3<&- 4<&- 5<&- 2> e.err
grep -q '^ipcx: request: pipe:3,4: bad descriptor' e.err || fail "$(cat e.err)"
# The command's own signal pipe sits at 200 and up: naming it is naming
# a descriptor the shell did not pass.
for fds in 200 201 200,201; do
	expect 1 "$IPCX" recv "pipe:$fds" -t 10000 2> e.err
	grep -q "^ipcx: recv: pipe:$fds: bad descriptor" e.err || fail "pipe:$fds: $(cat e.err)"
done
expect 1 "$IPCX" send pipe:201 x -t 10000 2> e.err
grep -q '^ipcx: send: pipe:201: bad descriptor' e.err || fail "$(cat e.err)"
bg "$IPCX" listen unix:taken.sock > /dev/null 2> taken.err
wait_listening taken.err > /dev/null
expect 1 "$IPCX" recv unix:taken.sock 2> e.err
grep -q '^ipcx: recv: unix:taken.sock: address in use by a live server' e.err || fail "$(cat e.err)"
ok "runtime failures: status 1, as ipcx: VERB: URI: reason"

# A name that cannot be resolved is never a usage error: the URI is well
# formed.  An unknown host (NXDOMAIN) names no channel: 4, saying so, and
# without the hint to start a server there (that cures nothing); a
# temporary failure (EAI_AGAIN, from a preloaded getaddrinfo) is 1.
expect 4 "$IPCX" send tcp:no-such-host.invalid:9 x -t 10000 2> e.err
grep -q '^ipcx: send: tcp:no-such-host.invalid:9: .*unknown host no-such-host.invalid' e.err ||
	fail "unknown host: $(cat e.err)"
! grep -q -e 'invalid URI' -e "^Try 'ipcx" -e 'ipcx listen' e.err || fail "unknown host: $(cat e.err)"
if [ -n "${IPCX_TEST_GAI_AGAIN:-}" ] && [ -e "$IPCX_TEST_GAI_AGAIN" ]; then
	# (A sanitizer runtime must come first unless told it need not.)
	LD_PRELOAD=$IPCX_TEST_GAI_AGAIN ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		expect 1 "$IPCX" send tcp:host.again.invalid:9 x -t 10000 2> e.err
	grep -q '^ipcx: send: tcp:host.again.invalid:9: .*failed temporarily; try again later' e.err ||
		fail "EAI_AGAIN: $(cat e.err)"
	! grep -q -e 'invalid URI' -e "^Try 'ipcx" e.err || fail "EAI_AGAIN as a usage error: $(cat e.err)"
	LD_PRELOAD=$IPCX_TEST_GAI_AGAIN ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		expect 1 "$IPCX" listen tcp:host.again.invalid:0 -t 10000 2> e.err
	! grep -q -e 'invalid URI' -e "^Try 'ipcx" e.err || fail "listen EAI_AGAIN: $(cat e.err)"
fi
ok "an unknown host: 4; a temporary resolver failure: 1; never a usage error"

# Every status 0-4 in one place (128+N is ipcx_signals_test.sh).
"$IPCX" create fifo:st
bg "$IPCX" recv fifo:st -n 1 > /dev/null
R=$BG
expect 0 "$IPCX" send fifo:st hi
reap "$R" 0
expect 1 "$IPCX" send 'fifo:st?max=1' toolong 2> /dev/null
expect 2 "$IPCX" send 'st' hi 2> /dev/null
expect 3 "$IPCX" send fifo:st hi -t 100 2> /dev/null
expect 4 "$IPCX" send fifo:nost hi 2> /dev/null
ok "exit statuses 0, 1, 2, 3, 4"
