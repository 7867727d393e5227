#!/bin/sh
# SPDX-License-Identifier: MIT
# update-doc.sh - regenerate the measured parts of docs/performance.md on
# this machine: the comparison tables (ipcx-bench --markdown) and the
# system calls per message (bench/syscalls.sh, when perf is there; without
# it the counts already there are kept).  The
# prose that explains each ratio is not regenerated: read the new tables
# and update it.
#
#   bench/update-doc.sh [build/bench/ipcx-bench [BENCH OPTIONS...]]
#
# Without options the careful run is used (no --quick); pass --quick for a
# fast look.  Everything between the BEGIN/END markers is replaced.
# SYSCALLS=0 leaves the system-call counts as they are (tracing every row
# takes several minutes).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${1:-$ROOT/build/bench/ipcx-bench}
[ $# -gt 0 ] && shift
DOC=$ROOT/docs/performance.md
T=$(mktemp -d "${TMPDIR:-/tmp}/ipcx-doc.XXXXXX")
trap 'rm -rf "$T"' EXIT

"$BENCH" --markdown "$@" > "$T/table" || {
	echo "$0: the benchmark failed; $DOC left as it was" >&2
	cat "$T/table" >&2
	exit 1
}
if [ "${SYSCALLS:-1}" != 0 ] && command -v perf > /dev/null 2>&1; then
	{
		echo 'One-way stream:'
		echo
		echo '```'
		PHASE=stream "$ROOT/bench/syscalls.sh" "$BENCH"
		echo '```'
		echo
		echo 'Round trips:'
		echo
		echo '```'
		PHASE=rtt "$ROOT/bench/syscalls.sh" "$BENCH"
		echo '```'
	} > "$T/syscalls"
fi

# splice NAME FILE: replace the lines between <!-- BEGIN NAME --> and
# <!-- END NAME --> with FILE.
splice() {
	awk -v name="$1" -v file="$2" '
		$0 == "<!-- BEGIN " name " -->" {
			print
			while ((getline line < file) > 0)
				print line
			skip = 1
			next
		}
		$0 == "<!-- END " name " -->" { skip = 0 }
		!skip { print }
	' "$DOC" > "$T/doc"
	cp "$T/doc" "$DOC"
}
splice "bench table" "$T/table"
# Without perf the counts already in the file stay as they are.
if [ -s "$T/syscalls" ]; then
	splice "syscalls" "$T/syscalls"
else
	echo "$0: SYSCALLS=0 or no perf here: the system-call counts were left as they were" >&2
fi
echo "updated $DOC"
