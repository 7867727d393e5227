#!/bin/sh
# SPDX-License-Identifier: MIT
# syscalls.sh - the system calls each side makes per message, bare and
# ipcx, counted by `perf trace -s`: the measured reason behind a ratio.
#
#   bench/syscalls.sh build/bench/ipcx-bench [ROW...]
#
# ROW is what --only takes (pipe, 'unix?type=dgram'); default: every row
# with a bare driver.  SIZES (default 64,4K,64K,1M) and PHASE (stream,
# the default, or rtt) pick the measurement.  Each run moves a fixed number
# of messages (the warm-up and one repetition of --count N each) and the
# counts are divided by it; calls below 0.05 per message (set-up) are left
# out, and so are calls that move no messages (set-up, signals).
# "x/y EAGAIN" means x calls per message, y of which failed.
# Tracing slows both sides alike, so batching (several messages per read)
# can differ from an untraced run; the calls a message needs do not.
set -eu

BENCH=${1:?usage: $0 PATH-TO-ipcx-bench [ROW...]}
shift
[ $# -gt 0 ] || set -- pipe fifo 'unix?type=stream' 'unix?type=seqpacket' 'unix?type=dgram' tcp
SIZES=${SIZES:-64,4K,64K,1M}
PHASE=${PHASE:-stream}
command -v perf > /dev/null || { echo "$0: needs perf (linux-perf)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ipcx-syscalls.XXXXXX")
trap 'rm -rf "$T"' EXIT

count_for() {
	case $1 in
	*M) echo 300 ;;
	64K) echo 3000 ;;
	*) echo 20000 ;;
	esac
}

printf '%-20s %5s %-5s  %-40s %s\n' row size side "sender, per message" "receiver, per message"
for row in "$@"; do
	for size in $(echo "$SIZES" | tr ',' ' '); do
		n=$(count_for "$size")
		# One direction carries 2n messages: the warm-up and one repetition.
		msgs=$((2 * n))
		for side in bare ipcx; do
			if ! perf trace -s -o "$T/trace" -- "$BENCH" --only "$row" --sizes "$size" \
				--reps 1 --count "$n" --phase "$PHASE" --side "$side" --time 60000 \
				> "$T/out" 2>&1; then
				printf '%-20s %5s %-5s  failed: %s\n' "$row" "$size" "$side" \
					"$(grep -E 'FAIL|skip' "$T/out" | head -n 1)"
				continue
			fi
			awk -v msgs="$msgs" -v row="$row" -v size="$size" -v side="$side" \
				-v io='^(read|readv|write|writev|send|sendto|sendmsg|recv|recvfrom|recvmsg|ppoll|poll|epoll_wait|epoll_pwait|select|pselect6|fcntl|futex|flock|pread64|pwrite64|preadv|pwritev|fdatasync|ftruncate|rt_sigqueueinfo|pidfd_send_signal|rt_sigtimedwait|getpid|getuid)$' '
				# The peer is this program run again as /proc/self/exe.
				/ events, / { who = $1 == "exe" ? 2 : 1; next }
				who >= 1 && NF >= 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ {
					per = $2 / msgs
					if (per < 0.05 || $1 !~ io)
						next
					if ($3 / msgs >= 0.01)
						t = sprintf("%s %.2f/%.2f EAGAIN", $1, per, $3 / msgs)
					else
						t = sprintf("%s %.2f", $1, per)
					out[who] = out[who] (out[who] == "" ? "" : ", ") t
				}
				END { printf "%-20s %5s %-5s  %-40s %s\n", row, size, side, out[1], out[2] }
			' "$T/trace"
		done
	done
done
