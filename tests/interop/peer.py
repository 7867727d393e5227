#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A peer that knows nothing of ipcx but its wire format (DESIGN.md).

framing=len is a 4-byte big-endian length, then that many payload bytes;
framing=line is one message per '\\n'-terminated line.  interop_test.c runs
this script against ipcx channels:

  peer.py len-client FAMILY ADDR   connect; send messages of pattern(i, n),
                                   expect pattern(i + 1000, n) back for each
  peer.py len-server FAMILY ADDR   listen (tcp port 0: print "PORT p");
                                   answer every message with its bytes
                                   reversed; at end of stream print
                                   "COUNT n BYTES b"
  peer.py line-server FAMILY ADDR  listen; answer every line with
                                   "echo:" + line; print "COUNT n" at the end

FAMILY is tcp (ADDR = host:port, host may be [v6]) or unix (ADDR = path).
Exit status 0 on success; anything wrong is reported on stderr, status 1.
Standard library only.
"""
import os
import socket
import struct
import sys

# Sizes the client sends: empty, tiny, around the 4-byte header, odd,
# a page, 64 KiB and 1 MiB (more than one read on every transport).
CLIENT_SIZES = [0, 1, 3, 4, 5, 255, 256, 4093, 4096, 65536, 1 << 20, 7, 0]


def pattern(i, n):
    """The bytes interop_test.c's interop_pattern() computes."""
    base = bytes(((i * 31 + j * 7) & 0xFF) for j in range(256))
    out = bytearray()
    for blk in range(0, n, 256):
        k = blk >> 8
        out += bytes(((b + k) & 0xFF) for b in base)
    return bytes(out[:n])


def fail(msg):
    sys.stderr.write("peer.py: %s\n" % msg)
    sys.exit(1)


def recv_exact(sock, n):
    """n bytes, or None at a clean end of stream before the first byte."""
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            if not buf:
                return None
            fail("end of stream inside a frame (%d of %d bytes)" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_frame(sock):
    hdr = recv_exact(sock, 4)
    if hdr is None:
        return None
    (n,) = struct.unpack(">I", hdr)
    if n == 0:
        return b""
    body = recv_exact(sock, n)
    if body is None:
        fail("end of stream after a header announcing %d bytes" % n)
    return body


def send_frame(sock, payload):
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def parse_addr(family, addr):
    if family == "unix":
        return socket.AF_UNIX, addr
    if family != "tcp":
        fail("unknown family %r" % family)
    host, _, port = addr.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, (host[1:-1], int(port))
    return socket.AF_INET, (host, int(port))


def listen(family, addr):
    fam, sa = parse_addr(family, addr)
    srv = socket.socket(fam, socket.SOCK_STREAM)
    if fam != socket.AF_UNIX:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(sa)
    srv.listen(4)
    if fam != socket.AF_UNIX:
        print("PORT %d" % srv.getsockname()[1], flush=True)
    else:
        print("READY", flush=True)
    conn, _ = srv.accept()
    srv.close()
    return conn


def len_client(family, addr):
    fam, sa = parse_addr(family, addr)
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.connect(sa)
    for i, n in enumerate(CLIENT_SIZES):
        send_frame(sock, pattern(i, n))
        reply = recv_frame(sock)
        if reply is None:
            fail("message %d: the server closed instead of answering" % i)
        if reply != pattern(i + 1000, n):
            fail("message %d: reply of %d bytes does not match (want %d)"
                 % (i, len(reply), n))
    # Our half-close ends the conversation; the server closes in turn.
    sock.shutdown(socket.SHUT_WR)
    if sock.recv(1) != b"":
        fail("data after the last reply")
    sock.close()


def len_server(family, addr):
    conn = listen(family, addr)
    count = total = 0
    while True:
        msg = recv_frame(conn)
        if msg is None:
            break
        count += 1
        total += len(msg)
        send_frame(conn, msg[::-1])
    conn.close()
    print("COUNT %d BYTES %d" % (count, total), flush=True)


def line_server(family, addr):
    conn = listen(family, addr)
    f = conn.makefile("rb")
    count = 0
    for line in f:
        if not line.endswith(b"\n"):
            fail("unterminated line %r" % line)
        count += 1
        conn.sendall(b"echo:" + line)
    f.close()
    conn.close()
    print("COUNT %d" % count, flush=True)


def main():
    if len(sys.argv) != 4:
        fail("usage: peer.py len-client|len-server|line-server tcp|unix ADDR")
    mode, family, addr = sys.argv[1:]
    if mode == "len-client":
        len_client(family, addr)
    elif mode == "len-server":
        len_server(family, addr)
    elif mode == "line-server":
        line_server(family, addr)
    else:
        fail("unknown mode %r" % mode)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError) as e:
        fail(str(e))
    sys.stdout.flush()
    os._exit(0)
