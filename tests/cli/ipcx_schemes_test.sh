# SPDX-License-Identifier: MIT
# ipcx_schemes_test.sh - the command keeps no table of schemes: `ipcx
# --help` lists the ones the library has built (ipcx_schemes), each with
# its summary and address form; what `create` and `rm` accept follows the
# descriptor's capabilities; and no tools/ipcx source names a scheme.
. "$(dirname "$0")/lib.sh"

expect 0 "$IPCX" --help > help.out
# The four transports built today, as SCHEME:ADDRESS and the summary.
grep -Eq '^  pipe:\[FD \| RFD,WFD\] +anonymous pipe' help.out || fail "help: pipe: $(cat help.out)"
grep -Eq '^  fifo:PATH +named pipe$' help.out || fail "help: fifo"
grep -Eq '^  unix:PATH \| @NAME +UNIX-domain socket' help.out || fail "help: unix"
grep -Eq '^  tcp:HOST:PORT \| \[V6\]:PORT +TCP socket' help.out || fail "help: tcp"
# A scheme DESIGN names but this build lacks is not listed as built.
for s in file shm sysvshm mq sysvmq signal; do
	if grep -Eq "^  $s:" help.out; then
		expect 0 "$IPCX" create --help > /dev/null # listed: it is built
	else
		expect 1 "$IPCX" recv "$s:x" -t 1000 2> nb.err
		grep -q "not built yet" nb.err || fail "$s: not built: $(cat nb.err)"
	fi
done
ok "--help lists the built schemes with summary and address form"

# No file of the command names a scheme: it asks ipcx_scheme_info.  (The
# benchmark's front end, cmd_bench.c, hands over to the engine.)
src=${IPCX_TEST_SOURCE_DIR:-}
if [ -n "$src" ] && [ -d "$src/tools/ipcx" ]; then
	hits=$(cd "$src/tools/ipcx" && grep -n '"tcp"\|"unix"\|"fifo"\|"pipe"\|"shm"\|"mq"\|"file"\|"signal"\|"sysvshm"\|"sysvmq"' \
		$(ls ./*.c | grep -v cmd_bench.c) || true)
	[ -z "$hits" ] || fail "scheme names in tools/ipcx: $hits"
	ok "no scheme name in tools/ipcx/*.c"
else
	ok "# SKIP source tree not known (IPCX_TEST_SOURCE_DIR)"
fi

# create: only what the descriptor calls NAMED; the rest is a usage error
# that says why, with DESIGN's reason.
for uri in unix:s.sock tcp:127.0.0.1:0 pipe:0; do
	expect 2 "$IPCX" create "$uri" 2> c.err
	grep -q "^ipcx: create: $uri: a [a-z]*: channel exists only while a process holds it; there is nothing to create" c.err ||
		fail "create $uri: $(cat c.err)"
done
grep -q 'serve it with `ipcx listen`' c.err && fail "pipe: is not served by listen"
expect 2 "$IPCX" create unix:s.sock 2> c.err
grep -q 'serve it with `ipcx listen`' c.err || fail "a socket's hint: $(cat c.err)"
ok "create of what is not named is a usage error, the reason given"

# rm: a scheme with nothing to remove is a usage error; an abstract socket
# is answered by the library (ipcx_unlink), and so is a tcp: address.
expect 2 "$IPCX" rm pipe:0 2> r.err
grep -q '^ipcx: rm: pipe:0: a pipe: channel has nothing to remove' r.err || fail "rm pipe: $(cat r.err)"
expect 2 "$IPCX" rm "unix:@ipcx-schemes-$$" 2> r.err
grep -q "^ipcx: rm: unix:@ipcx-schemes-$$: .*nothing to remove" r.err || fail "rm abstract: $(cat r.err)"
grep -q "^Try 'ipcx rm --help'" r.err || fail "rm abstract: usage hint"
expect 2 "$IPCX" rm tcp:127.0.0.1:9 2> r.err
grep -q 'nothing to remove' r.err || fail "rm tcp: $(cat r.err)"
ok "rm of a scheme or address with nothing to remove: status 2"
