# SPDX-License-Identifier: MIT
# ipcx_create_test.sh - `ipcx create`, `ipcx rm` and `ipcx stat`: a FIFO
# made mode 0600 (or mode=), kept with a registry entry until rm; exists
# (1) unless --exist-ok; something else in the way (1); sockets, pipes and
# signals cannot be created (2); rm of what is not there (4); rm --stale not
# built yet (1); stat of a FIFO and of a live server, as text and JSON.
. "$(dirname "$0")/lib.sh"

expect 0 "$IPCX" create fifo:q
[ -p q ] || fail "create did not make a FIFO"
[ "$(stat -c %a q)" = 600 ] || fail "mode $(stat -c %a q), not 600"
[ "$(ls "$IPCX_REGISTRY_DIR" | wc -l)" = 1 ] || fail "no registry entry"
grep -q "fifo:$T/q" "$IPCX_REGISTRY_DIR"/* || fail "registry entry does not name the FIFO"
ok "create fifo: a FIFO of mode 0600, kept, with a registry entry"

(umask 077 && expect 0 "$IPCX" create 'fifo:wide?mode=0644')
[ "$(stat -c %a wide)" = 644 ] || fail "mode= gives $(stat -c %a wide), not 644 (umask must not trim it)"
ok "create fifo:?mode=0644 is applied exactly, whatever the umask"

expect 1 "$IPCX" create fifo:q 2> exists.err
grep -q '^ipcx: create: fifo:q: channel already exists; use --exist-ok' exists.err ||
	fail "exists message: $(cat exists.err)"
expect 0 "$IPCX" create fifo:q --exist-ok
[ -p q ] || fail "--exist-ok removed it"
touch plain
expect 1 "$IPCX" create fifo:plain --exist-ok 2> plain.err
grep -q '^ipcx: create: fifo:plain: ' plain.err || fail "plain file: $(cat plain.err)"
[ -f plain ] || fail "a plain file in the way was touched"
ok "an existing FIFO: 1, or 0 with --exist-ok; a plain file in the way: 1"

for uri in unix:s.sock "unix:@ipcx-create-$$" tcp:127.0.0.1:0 pipe:0 pipe:3,4; do
	expect 2 "$IPCX" create "$uri" 2> nocreate.err
	grep -q "^ipcx: create: $uri: " nocreate.err || fail "$uri: $(cat nocreate.err)"
	grep -q "^Try 'ipcx create --help'" nocreate.err || fail "$uri: no usage hint"
done
[ ! -e s.sock ] || fail "create unix: made a socket file"
# signal: is a usage error once built; until then the library says it is
# not built (the command knows schemes only from their descriptors).
if scheme_built signal; then
	expect 2 "$IPCX" create signal:self 2> /dev/null
else
	expect 1 "$IPCX" create signal:self 2> nocreate.err
	grep -q 'not built yet' nocreate.err || fail "signal: $(cat nocreate.err)"
fi
ok "create of a socket, pipe or signal URI is a usage error (2)"

# stat: key: value lines, and JSON.
expect 0 "$IPCX" stat fifo:q > stat.out
grep -qx 'scheme: fifo' stat.out || fail "stat scheme: $(cat stat.out)"
grep -qx "uri: fifo:$T/q" stat.out || fail "stat uri: $(cat stat.out)"
grep -qx 'mode: 0600' stat.out || fail "stat mode: $(cat stat.out)"
# stat describes the FIFO, not its own handle: no role of stat's.
! grep -q '^role:' stat.out || fail "stat shows its own handle's role: $(cat stat.out)"
grep -qx "owner_uid: $(id -u)" stat.out || fail "stat owner"
grep -Eqx 'max_msg: [0-9]+' stat.out || fail "stat max_msg"
expect 0 "$IPCX" stat --json fifo:q > stat.json
grep -Eqx "\\{\"scheme\":\"fifo\",\"uri\":\"fifo:$T/q\",.*\"mode\":\"0600\",.*\\}" stat.json ||
	fail "stat --json: $(cat stat.json)"
if command -v python3 > /dev/null; then
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' stat.json || fail "stat --json is not JSON"
fi
expect 4 "$IPCX" stat fifo:none 2> /dev/null
ok "stat of a FIFO, text and --json; a missing one is 4"

bg "$IPCX" listen unix:srv.sock > /dev/null 2> srv.err
L=$BG
wait_listening srv.err > /dev/null
expect 0 "$IPCX" stat unix:srv.sock > sstat.out
grep -qx 'scheme: unix' sstat.out || fail "socket stat: $(cat sstat.out)"
grep -qx "listening: yes" sstat.out || fail "socket stat listening: $(cat sstat.out)"
grep -qx "server_pid: $L" sstat.out || fail "socket stat server: $(cat sstat.out)"
grep -qx "creator_pid: $L" sstat.out || fail "socket stat creator: $(cat sstat.out)"
kill -TERM "$L"
reap "$L" 143
expect 4 "$IPCX" stat unix:srv.sock 2> /dev/null
ok "stat of a socket: a server listens, with its pid; the registry names it creator"

# rm: removes the FIFO and its registry entry; a second rm is 4.
expect 0 "$IPCX" rm fifo:q fifo:wide
[ ! -e q ] && [ ! -e wide ] || fail "rm left the FIFO"
[ -z "$(ls "$IPCX_REGISTRY_DIR")" ] || fail "rm left the registry entry: $(ls "$IPCX_REGISTRY_DIR")"
expect 4 "$IPCX" rm fifo:q 2> rm.err
grep -qx 'ipcx: rm: fifo:q: no such channel' rm.err || fail "rm ENOENT: $(cat rm.err)"
expect 1 "$IPCX" rm fifo:plain 2> rmplain.err
grep -q 'not a FIFO' rmplain.err || fail "rm of a plain file: $(cat rmplain.err)"
[ -f plain ] || fail "rm removed a plain file"
ok "rm removes FIFO and registry entry; missing: 4; not a FIFO: 1"

# rm of a dead server's socket file; what has nothing to remove is 2.
bg "$IPCX" listen unix:dead.sock > /dev/null 2> dead.err
L=$BG
wait_listening dead.err > /dev/null
kill -KILL "$L"
{ wait "$L" || true; } 2> /dev/null
[ -S dead.sock ] || fail "precondition: SIGKILL leaves the socket file"
expect 0 "$IPCX" rm unix:dead.sock
[ ! -e dead.sock ] || fail "rm unix: left the socket file"
expect 2 "$IPCX" rm tcp:127.0.0.1:1 2> /dev/null
expect 2 "$IPCX" rm pipe:0 2> /dev/null
expect 2 "$IPCX" rm "unix:@ipcx-rm-$$" 2> /dev/null
expect 2 "$IPCX" rm fifo:ok 'bad uri' 2> /dev/null
# What create made is kept: never stale, so rm --stale removes nothing.
expect 0 "$IPCX" rm --stale > stale.out
[ ! -s stale.out ] || fail "rm --stale removed: $(cat stale.out)"
[ -p wide ] || [ ! -e wide ] || fail "rm --stale touched a kept FIFO"
expect 2 "$IPCX" rm --stale fifo:x 2> /dev/null
expect 2 "$IPCX" rm 2> /dev/null
expect 0 "$IPCX" rm --help > /dev/null
expect 0 "$IPCX" create --help > /dev/null
expect 0 "$IPCX" stat --help > /dev/null
ok "rm of a stale socket file; usage errors; rm --stale leaves kept objects"
