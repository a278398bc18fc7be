#!/usr/bin/python3
"""tests/integration/helpers/exec_ws.py: a WebSocket exec client as kubectl speaks to the API
server (v5.channel.k8s.io, or v4 with --protocol), over nanoletd's unix socket, through Debian's
python3-websocket (websocket-client).

  exec_ws.py SOCKET NAMESPACE POD [options] -- COMMAND [ARG...]

Its stdin goes to the process (channel 0) when --stdin is given, then a v5 close of channel 0;
the process's stdout and stderr (channels 1 and 2) go to its own; the final Status (channel 3)
is printed as JSON to the file --status names. It exits with the process's exit code (from the
Status), 125 when the Status says something else went wrong, 124 when the server hangs up
without a Status. --resize WxH sends a terminal size before the input; --hold SECONDS waits
that long before the input (the process runs meanwhile); --keep-open does not close stdin.
An upgrade the server refuses prints its HTTP status line and body to stderr and exits 126.
"""
import argparse
import json
import socket
import sys
import time
import urllib.parse

import websocket

p = argparse.ArgumentParser()
p.add_argument("socket")
p.add_argument("namespace")
p.add_argument("pod")
p.add_argument("--container")
p.add_argument("--stdin", action="store_true")
p.add_argument("--no-stdout", action="store_true")
p.add_argument("--no-stderr", action="store_true")
p.add_argument("--tty", action="store_true")
p.add_argument("--protocol", default="v5.channel.k8s.io")
p.add_argument("--status")
p.add_argument("--resize")
p.add_argument("--hold", type=float, default=0)
p.add_argument("--keep-open", action="store_true")
p.add_argument("--timeout", type=float, default=30)
p.add_argument("command", nargs="+")
a = p.parse_args()

query = [("command", c) for c in a.command]
query += [("stdin", "true" if a.stdin else "false"),
          ("stdout", "false" if a.no_stdout else "true"),
          ("stderr", "false" if (a.no_stderr or a.tty) else "true"),
          ("tty", "true" if a.tty else "false")]
if a.container:
    query.append(("container", a.container))
path = "/api/v1/namespaces/%s/pods/%s/exec?%s" % (a.namespace, a.pod,
                                                   urllib.parse.urlencode(query))

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(a.timeout)
sock.connect(a.socket)
try:
    ws = websocket.create_connection("ws://localhost" + path, socket=sock,
                                     subprotocols=[a.protocol], timeout=a.timeout)
except websocket.WebSocketBadStatusException as e:
    sys.stderr.write("upgrade refused: %s\n" % e)
    sys.exit(126)

if a.hold:
    time.sleep(a.hold)
if a.resize:
    w, h = a.resize.split("x")
    ws.send_binary(b"\x04" + json.dumps({"Width": int(w), "Height": int(h)}).encode())
if a.stdin:
    data = sys.stdin.buffer.read()
    if data:
        ws.send_binary(b"\x00" + data)
    if not a.keep_open and a.protocol.startswith("v5"):
        ws.send_binary(b"\xff\x00")

status = None
while True:
    try:
        op, frame = ws.recv_data()
    except (websocket.WebSocketConnectionClosedException, OSError):
        break  # a close frame answered on a socket the server shut already, or a hang-up
    if op == websocket.ABNF.OPCODE_CLOSE:
        break
    if not frame:
        continue
    channel, data = frame[0], frame[1:]
    if channel == 1:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    elif channel == 2:
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()
    elif channel == 3 and data:
        status = json.loads(data)
try:
    ws.close()
except OSError:
    pass

if status is None:
    sys.exit(124)
if a.status:
    with open(a.status, "w") as f:
        json.dump(status, f)
if status.get("status") == "Success":
    sys.exit(0)
if status.get("reason") == "NonZeroExitCode":
    sys.exit(int(status["details"]["causes"][0]["message"]))
sys.exit(125)
