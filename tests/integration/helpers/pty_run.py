#!/usr/bin/python3
"""tests/integration/helpers/pty_run.py: runs a command on a terminal of its own, as a person at
a terminal would (kubectl exec -it needs its stdin to be one).

  pty_run.py ROWSxCOLS INPUT COMMAND [ARG...]

The terminal is ROWS x COLS. Once the command has written something (a shell's prompt) or after
five seconds, INPUT (with "\\n" read as a newline) is typed. Everything the terminal shows is
printed; the exit code is the command's. The whole run is bounded: past 30 s the command is
killed and the exit code is 124.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

rows, cols = (int(x) for x in sys.argv[1].split("x"))
typed = sys.argv[2].replace("\\n", "\n").encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
start = time.monotonic()
out = b""
sent = False
while time.monotonic() - start < 30:
    if not sent and (out or time.monotonic() - start > 5):
        os.write(fd, typed)
        sent = True
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the command and everything on the terminal are gone
        break
    if not data:
        break
    out += data
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(124)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
