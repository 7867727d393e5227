# SPDX-License-Identifier: MIT
# ipcx_burst_test.sh - `ipcx listen` under a burst of connections, run under
# valgrind (or, in a sanitizer build, under its own AddressSanitizer): 120
# clients connect while the server is stopped, so one round of accepts adds
# them all at once - the case that once read past the poll array - and
# every message must arrive.  The same with --exec, a command per client.
. "$(dirname "$0")/lib.sh"

run=("$IPCX")
case ${IPCX_TEST_SANITIZER:-none} in
none | "")
	if command -v valgrind > /dev/null; then
		# 99: valgrind saw an invalid access or a definite leak.
		run=(valgrind -q --error-exitcode=99 --leak-check=full
			--errors-for-leak-kinds=definite --trace-children=no "$IPCX")
		echo "# under valgrind"
	else
		echo "# valgrind is not installed: the burst runs without a checker"
	fi
	;;
*) echo "# under the build's sanitizer (${IPCX_TEST_SANITIZER})" ;;
esac

N=120
# frame I: message "mNNN" as framing=len puts it on the wire.
frame() {
	printf '\0\0\0\4m%03d' "$1"
}

burst() {
	local what=$1 port fds=() fd i
	shift
	bg "${run[@]}" listen tcp:127.0.0.1:0 "$@" > burst.out 2> burst.err
	local L=$BG
	port=$(wait_listening burst.err)
	port=${port##*:}
	kill -STOP "$L"
	# The kernel completes each connection into the backlog while the
	# server is stopped; when it resumes, one accept round takes all.
	for ((i = 1; i <= N; i++)); do
		exec {fd}<> "/dev/tcp/127.0.0.1/$port"
		fds+=("$fd")
		frame "$i" >&"$fd"
	done
	kill -CONT "$L"
	if [ "$what" = exec ]; then
		# Each command answers its client; read every reply.
		for ((i = 1; i <= N; i++)); do
			fd=${fds[$((i - 1))]}
			head -c 8 <&"$fd" > reply
			frame "$i" | cmp - reply || fail "exec reply $i: $(od -c reply)"
		done
	fi
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	reap "$L" 0
}

burst print -n "$N"
seq -f 'm%03g' 1 "$N" | cmp - <(sort burst.out) || fail "burst: $(sort burst.out | head)"
ok "listen: $N connections accepted in one burst, every message printed"

burst exec -n "$N" --exec cat
ok "listen --exec cat: $N connections in one burst, each answered"
