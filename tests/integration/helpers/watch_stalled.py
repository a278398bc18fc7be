#!/usr/bin/python3
"""tests/integration/helpers/watch_stalled.py SOCKET PATH GO_FILE: a watch client that stops
reading. It sends GET PATH on the daemon's unix socket, reads nothing until GO_FILE exists, then
reads what is left and prints "closed" when the daemon ended the stream (EOF within 30 s: the
request asks for Connection: close), or
"open" when it did not."""
import os
import socket
import sys
import time


def main():
    path, target, go = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: nanolet\r\nConnection: close\r\n\r\n".encode())
    while not os.path.exists(go):
        time.sleep(0.1)
    s.settimeout(30)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        print("open", flush=True)
        return 1
    print("closed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
