#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzzers.sh BUILD_DIR SECONDS - run every libFuzzer target for SECONDS
# each, starting from the seed corpus in tests/fuzz/corpus/<target>/.
# New inputs go to BUILD_DIR/fuzz/corpus/<target>/ (the committed seeds are
# never written), crashes to BUILD_DIR/fuzz/artifacts/<target>/.
# Exit status: 0 no crash, 1 a fuzzer found one, 2 usage or not built.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 BUILD_DIR [SECONDS]" >&2
	exit 2
fi
build=$1
secs=${2:-30}
case $secs in
'' | *[!0-9]*)
	echo "run-fuzzers: SECONDS must be a number, not '$secs'" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
status=0

for t in uri frame file ring; do
	bin=$build/tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "run-fuzzers: $bin is not built (configure with CC=clang and -DIPCX_BUILD_FUZZ=ON)" >&2
		exit 2
	fi
	work=$build/fuzz/corpus/$t
	art=$build/fuzz/artifacts/$t
	mkdir -p "$work" "$art"
	echo "== fuzz_$t: ${secs}s"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "$work" "$here/corpus/$t"; then
		echo "== fuzz_$t: no crash"
	else
		echo "run-fuzzers: fuzz_$t failed; the input is in $art/" >&2
		ls -l "$art" >&2
		status=1
	fi
done
exit $status
