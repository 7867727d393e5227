# SPDX-License-Identifier: MIT
# install_test.sh BUILD_DIR APP_DIR CC - install this build into a fresh
# prefix (as `make install PREFIX=...` does after a `make run` configured
# build/ for /usr/local), then check what a user relies on: every file in
# its place, the command running from PREFIX/bin on its RUNPATH alone, an
# ipcx.pc that follows the prefix (also after the tree is moved), man
# pages that `man` finds, and two programs built out of the tree - one with
# pkg-config, one with find_package(ipcx) - that run.
set -euo pipefail
BUILD=$1 APP=$2 CC=$3
case ${IPCX_TEST_SANITIZER:-none} in none | "") ;; *)
	echo "skipped: a sanitizer build's library needs its runtime in every program"
	exit 7 ;;
esac
W=$(mktemp -d "${TMPDIR:-/tmp}/ipcx-install.XXXXXX")
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
P=$W/prefix
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
libdir=${libdir:-lib}

cmake --install "$BUILD" --prefix "$P" > "$W/install.log" || fail "install: $(cat "$W/install.log")"
for f in bin/ipcx include/ipcx.h "$libdir/libipcx.so" "$libdir/libipcx.a" \
	"$libdir/pkgconfig/ipcx.pc" "$libdir/cmake/ipcx/ipcxConfig.cmake"; do
	[ -e "$P/$f" ] || fail "not installed: $f"
done
! grep -q '/usr/local' "$P/$libdir/pkgconfig/ipcx.pc" || fail "ipcx.pc names /usr/local: $(cat "$P/$libdir/pkgconfig/ipcx.pc")"
ok "cmake --install --prefix puts every file under the prefix given then"

# The command runs from the prefix with no help from the environment, and
# loads the library it was installed with.
readelf -d "$P/bin/ipcx" | grep -E 'RUNPATH|RPATH' | grep -qF '$ORIGIN/../'"$libdir" ||
	fail "no \$ORIGIN RUNPATH: $(readelf -d "$P/bin/ipcx" | grep -E 'RUNPATH|RPATH')"
env -u LD_LIBRARY_PATH "$P/bin/ipcx" --version > "$W/v.out" || fail "PREFIX/bin/ipcx does not run"
loaded=$(env -u LD_LIBRARY_PATH ldd "$P/bin/ipcx" | sed -n 's/^[[:space:]]*libipcx\.so[^ ]* => \([^ ]*\) .*/\1/p')
[ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$P/$libdir/libipcx.so")" ] ||
	fail "PREFIX/bin/ipcx loads another libipcx: $(ldd "$P/bin/ipcx" | grep ipcx)"
ok "PREFIX/bin/ipcx runs on its RUNPATH, with the library beside it"

if grep -q '^IPCX_GO_MD2MAN:FILEPATH=/' "$BUILD/CMakeCache.txt"; then
	for m in man1/ipcx.1 man3/ipcx.3 man7/ipcx-fifo.7; do
		[ -s "$P/share/man/$m" ] || fail "man page not installed: $m"
	done
	if command -v man > /dev/null; then
		[ "$(MANPATH=$P/share/man man -w ipcx)" = "$P/share/man/man1/ipcx.1" ] ||
			fail "man -w ipcx: $(MANPATH=$P/share/man man -w ipcx 2>&1)"
	fi
	ok "man pages in PREFIX/share/man/man{1,3,7}; man finds ipcx(1)"
else
	echo "ok - skipped: man pages (go-md2man not found when this build was configured)"
fi

# pkg-config, from where the tree lies; then the same after moving it.
export PKG_CONFIG_PATH=$P/$libdir/pkgconfig
[ "$(pkg-config --variable=includedir ipcx)" -ef "$P/include" ] ||
	fail "pkg-config includedir: $(pkg-config --variable=includedir ipcx)"
# shellcheck disable=SC2046
"$CC" -o "$W/app-pc" "$APP/app.c" $(pkg-config --cflags --libs ipcx) \
	-Wl,-rpath,"$(pkg-config --variable=libdir ipcx)" || fail "build with pkg-config"
[ "$("$W/app-pc" | cut -d' ' -f1)" = installed ] || fail "the pkg-config program"
mv "$P" "$W/moved"
P=$W/moved
export PKG_CONFIG_PATH=$P/$libdir/pkgconfig
[ "$(pkg-config --variable=libdir ipcx)" -ef "$P/$libdir" ] ||
	fail "ipcx.pc after a move: $(pkg-config --variable=libdir ipcx)"
env -u LD_LIBRARY_PATH "$P/bin/ipcx" --version > /dev/null || fail "the moved command does not run"
ok "a program built with pkg-config runs; ipcx.pc and the command follow a moved tree"

cmake -S "$APP" -B "$W/app-build" -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$P" \
	> "$W/app.log" 2>&1 || fail "find_package(ipcx): $(cat "$W/app.log")"
cmake --build "$W/app-build" >> "$W/app.log" 2>&1 || fail "build with find_package: $(cat "$W/app.log")"
[ "$("$W/app-build/app" | cut -d' ' -f1)" = installed ] || fail "the find_package program"
ok "a program built with find_package(ipcx) runs"
