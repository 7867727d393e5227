# SPDX-License-Identifier: MIT
# ipcx_queues_test.sh - `ipcx create`, `ipcx stat` and `ipcx rm` on mq: and
# sysvmq: (queued messages, capacity, owner, mode, the last sender and
# receiver pids where the kernel keeps them, as text and JSON), and
# `ipcx recv signal:self`, which says the pid a script sends to.
. "$(dirname "$0")/lib.sh"

MQ="mq:ipcx-cli-queues-$$"
touch key
SV="sysvmq:ftok:$T/key:7"
# Whatever happens, no queue of this script outlives it.
queues_cleanup() {
	local rc=$?
	set +e
	"$IPCX" rm "$MQ" "$SV" > /dev/null 2>&1
	(exit "$rc")
	cleanup
}
trap queues_cleanup EXIT

if scheme_built mq; then
	expect 0 "$IPCX" create "$MQ?maxmsg=5&msgsize=64&mode=0640"
	expect 1 "$IPCX" create "$MQ?maxmsg=5&msgsize=64" 2> exists.err
	grep -q 'already exists' exists.err || fail "mq exists: $(cat exists.err)"
	expect 0 "$IPCX" create "$MQ?maxmsg=5&msgsize=64" --exist-ok
	expect 0 "$IPCX" send "$MQ" one two
	expect 0 "$IPCX" stat "$MQ" > mq.out
	grep -qx 'scheme: mq' mq.out || fail "mq stat: $(cat mq.out)"
	grep -qx 'mode: 0640' mq.out || fail "mq stat mode: $(cat mq.out)"
	grep -qx "owner_uid: $(id -u)" mq.out || fail "mq stat owner: $(cat mq.out)"
	grep -qx 'max_msg: 64' mq.out || fail "mq stat max_msg: $(cat mq.out)"
	grep -qx 'queued: 2 messages' mq.out || fail "mq stat queued: $(cat mq.out)"
	grep -qx 'capacity: 5 messages' mq.out || fail "mq stat capacity: $(cat mq.out)"
	# The kernel keeps no last sender of a POSIX queue: nothing is made up.
	! grep -q '^last_' mq.out || fail "mq stat invents pids: $(cat mq.out)"
	grep -qx 'kept: yes' mq.out || fail "mq stat kept: $(cat mq.out)"
	expect 0 "$IPCX" stat --json "$MQ" > mq.json
	grep -q '"queued":2,"queued_unit":"messages","capacity":5,"capacity_unit":"messages"' mq.json ||
		fail "mq stat --json: $(cat mq.json)"
	# stat took nothing: both messages are still there, in order.
	expect 0 "$IPCX" recv "$MQ" -n 2 > mq.recv
	printf 'one\ntwo\n' | cmp -s - mq.recv || fail "mq after stat: $(cat mq.recv)"
	expect 0 "$IPCX" rm "$MQ"
	expect 4 "$IPCX" stat "$MQ" 2> /dev/null
	expect 4 "$IPCX" rm "$MQ" 2> /dev/null
	[ -z "$(ls "$IPCX_REGISTRY_DIR")" ] || fail "mq rm left the registry entry"
	ok "create, stat (queued, capacity, mode, owner; no invented pids) and rm of mq:"
	# Deadlines are poll(2) on the queue descriptor: the wall-clock
	# mq_timedsend/mq_timedreceive are never called.
	if [ -n "${IPCX_TEST_SOURCE_DIR:-}" ]; then
		! grep -n 'mq_timed[a-z]* *(' "$IPCX_TEST_SOURCE_DIR"/src/transport/*.c ||
			fail "a transport calls mq_timedsend/mq_timedreceive"
		ok "no transport calls mq_timedsend or mq_timedreceive"
	fi
fi

if scheme_built sysvmq; then
	# ftok(3): the id, then the low 8 bits of the device, 16 of the inode.
	key=$(printf '0x%08x' $(((7 << 24) | (($(stat -c %d key) & 0xff) << 16) | ($(stat -c %i key) & 0xffff))))
	expect 0 "$IPCX" create "$SV?mode=0604"
	expect 0 "$IPCX" stat "$SV" > sv.out
	grep -qx 'scheme: sysvmq' sv.out || fail "sysvmq stat: $(cat sv.out)"
	grep -qx "uri: sysvmq:$key" sv.out || fail "sysvmq stat key (ftok's $key): $(cat sv.out)"
	grep -qx 'mode: 0604' sv.out || fail "sysvmq stat mode: $(cat sv.out)"
	grep -qx 'queued: 0 messages' sv.out || fail "sysvmq stat queued: $(cat sv.out)"
	grep -qx "capacity: $(cat /proc/sys/kernel/msgmnb) bytes" sv.out ||
		fail "sysvmq stat capacity: $(cat sv.out)"
	! grep -q '^last_' sv.out || fail "sysvmq stat: pids before any message: $(cat sv.out)"
	ipcs -q | grep -q "^$key " || fail "ipcs -q does not list $key"
	bg "$IPCX" send "$SV" first second
	S=$BG
	reap "$S" 0
	bg "$IPCX" recv "$SV" -n 1 > sv.recv
	R=$BG
	reap "$R" 0
	[ "$(cat sv.recv)" = first ] || fail "sysvmq recv: $(cat sv.recv)"
	expect 0 "$IPCX" stat "$SV" > sv2.out
	grep -qx 'queued: 1 messages' sv2.out || fail "sysvmq stat queued: $(cat sv2.out)"
	grep -qx "last_sender_pid: $S" sv2.out || fail "sysvmq last sender (want $S): $(cat sv2.out)"
	grep -qx "last_receiver_pid: $R" sv2.out || fail "sysvmq last receiver (want $R): $(cat sv2.out)"
	expect 0 "$IPCX" stat --json "$SV" > sv.json
	grep -q "\"last_sender_pid\":$S,\"last_receiver_pid\":$R" sv.json || fail "sysvmq --json: $(cat sv.json)"
	expect 0 "$IPCX" rm "$SV"
	! ipcs -q | grep -q "^$key " || fail "rm left $key in ipcs -q"
	expect 4 "$IPCX" stat "$SV" 2> /dev/null
	[ -z "$(ls "$IPCX_REGISTRY_DIR")" ] || fail "sysvmq rm left the registry entry"
	ok "create, stat (queued, capacity, mode, owner, last sender and receiver pids) and rm of sysvmq:"
fi

if scheme_built signal; then
	expect 2 "$IPCX" create signal:self 2> sig.err
	grep -q "^ipcx: create: signal:self: " sig.err || fail "create signal: $(cat sig.err)"
	# The pid to send to is announced on standard error; -q keeps quiet.
	bg "$IPCX" recv -n 1 'signal:self?sig=USR1' > self.out 2> self.err
	R=$BG
	wait_for "grep -q '^ipcx: receiving at pid ' self.err"
	grep -qx "ipcx: receiving at pid $R on signal:self?sig=USR1" self.err ||
		fail "announcement: $(cat self.err)"
	P=$(sed -n 's/^ipcx: receiving at pid \([0-9]*\) .*/\1/p' self.err)
	expect 0 "$IPCX" send "signal:$P?sig=USR1" hi
	reap "$R" 0
	[ "$(cat self.out)" = hi ] || fail "recv signal:self got: $(cat self.out)"
	bg "$IPCX" recv -q -n 1 -t 60000 signal:self > quiet.out 2> quiet.err
	R=$BG
	# Joined once RTMIN+1 (signal 35, bit 34) is blocked: sent earlier, it
	# would end the command.
	wait_for "[ \$(( (0x\$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$R/status) >> 34) & 1 )) = 1 ]"
	expect 0 "$IPCX" send "signal:$R" x
	reap "$R" 0
	[ ! -s quiet.err ] || fail "recv -q announced: $(cat quiet.err)"
	ok "signal: create is a usage error (2); recv signal:self announces its pid (not with -q)"

	# With --format json the first record says it too, and send reads that
	# record as no message: the copy recv | send stays lossless.
	"$IPCX" create fifo:copy
	bg "$IPCX" recv -n 2 --format json 'signal:self?sig=USR2' > js.out 2> js.err
	R=$BG
	wait_for "[ -s js.out ]"
	[ "$(head -n 1 js.out)" = "{\"receiving\":\"signal:self?sig=USR2\",\"pid\":$R}" ] ||
		fail "json announcement: $(cat js.out)"
	expect 0 "$IPCX" send "signal:$R?sig=USR2" one
	expect 0 "$IPCX" send "signal:$R?sig=USR2" two
	reap "$R" 0
	bg "$IPCX" recv -n 2 fifo:copy > copy.out
	C=$BG
	wait_for "ls -l /proc/$C/fd 2> /dev/null | grep -q '/copy\$'"
	expect 0 "$IPCX" send --format json fifo:copy < js.out
	reap "$C" 0
	printf 'one\ntwo\n' | cmp -s - copy.out || fail "recv | send copy: $(cat copy.out)"
	printf '{"receiving":"x"}\n' | "$IPCX" send --format json fifo:copy ||
		fail "send --format json refused an announcement"
	printf '{"pid":1}\n' | expect 1 "$IPCX" send --format json fifo:copy 2> nodata.err
	grep -q 'no "data" key' nodata.err || fail "a record with no data: $(cat nodata.err)"
	expect 0 "$IPCX" rm fifo:copy
	ok "recv signal:self --format json: the pid is the first record, which send skips"
fi
