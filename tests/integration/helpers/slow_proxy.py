#!/usr/bin/python3
"""A TCP forwarder on 127.0.0.1 that slows what the server sends, so that a test can kill a
daemon while a pull is surely under way (images_pull.bats).

usage: slow_proxy.py TARGET_HOST:PORT PORT_FILE BYTES_PER_SECOND

Listens on a free loopback port, writes it to PORT_FILE, and forwards every connection to
TARGET; the server's bytes reach the client at most BYTES_PER_SECOND per connection, in chunks
of a tenth of that every tenth of a second. Runs until killed.
"""

import socket
import sys
import threading
import time
import os


def pipe(src, dst, rate):
    chunk = max(1, rate // 10) if rate else 65536
    try:
        while True:
            data = src.recv(chunk)
            if not data:
                break
            dst.sendall(data)
            if rate:
                time.sleep(len(data) / rate)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, target, rate):
    host, port = target.rsplit(":", 1)
    try:
        up = socket.create_connection((host, int(port)))
    except OSError:
        conn.close()
        return
    threading.Thread(target=pipe, args=(conn, up, 0), daemon=True).start()
    threading.Thread(target=pipe, args=(up, conn, rate), daemon=True).start()


def main():
    target, port_file, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        serve(conn, target, rate)


if __name__ == "__main__":
    main()
