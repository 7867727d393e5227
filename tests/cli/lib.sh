# SPDX-License-Identifier: MIT
# lib.sh - sourced by every ipcx_<verb>_test.sh: strict mode, a scratch
# directory that is the working directory, its own registry directory, and
# a trap that kills every background process the script started and
# removes the scratch directory, whether the test passed or not.
#
# Helpers: bg (start in the background, remembered for cleanup), expect
# (status of a command), wait_for (poll a condition, never a fixed sleep),
# reap (status of a background process), listen_uri (the address a server
# announced), ms_now, fail, ok.  Timeouts are generous: the suite runs on
# loaded two-core machines, so nothing asserts an upper bound on time.
set -euo pipefail

IPCX=${1:?usage: $0 PATH-TO-ipcx}
case $IPCX in /*) ;; *) IPCX=$PWD/$IPCX ;; esac
[ -x "$IPCX" ] || { echo "not executable: $IPCX" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/ipcx-cli.XXXXXX")
export IPCX_REGISTRY_DIR=$T/registry
mkdir -m 700 "$IPCX_REGISTRY_DIR"
cd "$T"

BG_PIDS=()
cleanup() {
	local rc=$? p
	set +e
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	cd /
	rm -rf "$T"
	if [ "$rc" -ne 0 ]; then
		echo "FAILED ($0, status $rc)" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$T"/*.err; do
		[ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
	done
	exit 1
}

ok() {
	echo "ok - $*"
}

# bg CMD...: run CMD in the background; its pid is in BG.
bg() {
	"$@" &
	BG=$!
	BG_PIDS+=("$BG")
}

# expect STATUS CMD...: run CMD and check its exit status.
expect() {
	local want=$1 got=0
	shift
	"$@" || got=$?
	[ "$got" = "$want" ] || fail "expected status $want, got $got: $*"
}

# reap PID STATUS: wait for a background process and check its status.
reap() {
	local got=0
	wait "$1" || got=$?
	[ "$got" = "$2" ] || fail "background process $1: expected status $2, got $got"
}

# wait_for 'SHELL CONDITION': poll it every 50 ms, for up to 30 s.
wait_for() {
	local i
	for ((i = 0; i < 600; i++)); do
		if eval "$1"; then
			return 0
		fi
		sleep 0.05
	done
	fail "timed out waiting for: $1"
}

# listen_uri FILE: the URI a server announced ("ipcx: listening on URI").
listen_uri() {
	sed -n 's/^ipcx: listening on //p' "$1" | head -n 1
}

# wait_listening FILE: wait for the announcement, then print the URI.
wait_listening() {
	wait_for "grep -q '^ipcx: listening on ' '$1' 2>/dev/null"
	listen_uri "$1"
}

# lines FILE: number of lines in FILE (0 if absent).
lines() {
	if [ -e "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi
}

ms_now() {
	echo $(($(date +%s%N) / 1000000))
}

# scheme_built NAME: is the NAME: transport built into this ipcx?  (The
# schemes `ipcx --help` lists, which come from ipcx_schemes().)
scheme_built() {
	"$IPCX" --help | grep -Eq "^  $1:"
}

# wait_log FILE REGEX: wait until a -v (or any) line matching REGEX is in
# FILE: the readiness a command announces itself.
wait_log() {
	wait_for "grep -Eq '$2' '$1' 2>/dev/null"
}
