#!/usr/bin/python3
"""tests/integration/helpers/kube_client.py: a second real Kubernetes client against nanolet,
Debian's python3-kubernetes (run with /usr/bin/python3), as a script built on it would use it.

  kube_client.py KUBECONFIG [NAMESPACE] [POD]

With the kubeconfig (plain HTTP or HTTPS with a CA and a token: the client library reads
either), it creates POD (default "pyclient") from a dict, lists the namespace's pods
(CoreV1Api.list_namespaced_pod) and finds it, reads it until it runs (read_namespaced_pod),
reads its log whole, with tail_lines and with timestamps (read_namespaced_pod_log), runs
commands in it through kubernetes.stream.stream (the WebSocket exec: output, stderr, stdin,
an exit code), deletes it and sees it gone (a 404 ApiException). Every answer is checked
against what the pod does; the first mismatch is printed and the script exits 1. The pod is
deleted on the way out, also after a failure.
"""
import json
import re
import sys
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

WAIT_SECONDS = 30


class Mismatch(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Mismatch(f"{what}: got {got!r}, want {want!r}")


def wait(what, fn):
    deadline = time.monotonic() + WAIT_SECONDS
    last = None
    while time.monotonic() < deadline:
        ok, last = fn()
        if ok:
            return last
        time.sleep(0.2)
    raise Mismatch(f"{what}: not after {WAIT_SECONDS} s (last: {last!r})")


def pod_manifest(name):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "pyclient"}},
        "spec": {
            "terminationGracePeriodSeconds": 2,
            "containers": [
                {
                    "name": "c",
                    "image": "host",
                    "command": ["sh", "-c", "echo one; echo two; echo three; exec sleep 1000"],
                }
            ],
        },
    }


def exec_in(api, ns, name, command, **kwargs):
    return stream(api.connect_get_namespaced_pod_exec, name, ns, command=command,
                  stderr=True, stdin=False, stdout=True, tty=False, **kwargs)


def check(api, ns, name):
    created = api.create_namespaced_pod(ns, pod_manifest(name))
    expect("created name", created.metadata.name, name)
    if not created.metadata.uid:
        raise Mismatch("created pod has no metadata.uid")
    uid = created.metadata.uid

    listed = api.list_namespaced_pod(ns)
    expect("list kind", listed.kind, "PodList")
    mine = [p for p in listed.items if p.metadata.name == name]
    expect("pods named " + name + " in the list", len(mine), 1)
    expect("listed uid", mine[0].metadata.uid, uid)

    def running():
        pod = api.read_namespaced_pod(name, ns)
        return pod.status.phase == "Running", pod.status.phase

    wait("pod Running", running)
    pod = api.read_namespaced_pod(name, ns)
    expect("read uid", pod.metadata.uid, uid)
    expect("container name", pod.spec.containers[0].name, "c")
    expect("container ready", pod.status.container_statuses[0].ready, True)

    def whole_log():
        log = api.read_namespaced_pod_log(name, ns)
        return log == "one\ntwo\nthree\n", log

    wait("the whole log", whole_log)
    expect("log tail_lines=1", api.read_namespaced_pod_log(name, ns, tail_lines=1), "three\n")
    expect("log tail_lines=2 container=c",
           api.read_namespaced_pod_log(name, ns, tail_lines=2, container="c"), "two\nthree\n")
    stamped = api.read_namespaced_pod_log(name, ns, timestamps=True).splitlines()
    expect("timestamped lines", len(stamped), 3)
    for line, text in zip(stamped, ["one", "two", "three"]):
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z " + text, line):
            raise Mismatch(f"timestamped line {line!r} is not '<RFC 3339> {text}'")
    try:
        api.read_namespaced_pod_log(name, ns, previous=True)
        raise Mismatch("previous log of a container that never restarted: no error")
    except ApiException as e:
        expect("previous log status", e.status, 400)
        expect("previous log message", json.loads(e.body).get("message"),
               f'previous terminated container "c" in pod "{name}" not found')

    expect("exec stdout", exec_in(api, ns, name, ["echo", "hello"]), "hello\n")
    expect("exec hostname", exec_in(api, ns, name, ["hostname"]), name + "\n")

    # the exit code and stderr, through the preloaded client's status channel
    ws = exec_in(api, ns, name, ["sh", "-c", "echo out; echo err >&2; exit 3"],
                 _preload_content=False)
    ws.run_forever(timeout=WAIT_SECONDS)
    expect("exec stdout with exit 3", ws.read_stdout(), "out\n")
    expect("exec stderr with exit 3", ws.read_stderr(), "err\n")
    expect("exec exit code", ws.returncode, 3)
    ws.close()

    # stdin: the v4 protocol has no close of stdin, so the process reads one line
    ws = stream(api.connect_get_namespaced_pod_exec, name, ns,
                command=["sh", "-c", "read line; echo got $line"], stdin=True, stdout=True,
                stderr=True, tty=False, _preload_content=False)
    ws.write_stdin("ping\n")
    ws.run_forever(timeout=WAIT_SECONDS)
    expect("exec stdin echoed", ws.read_stdout(), "got ping\n")
    expect("exec stdin exit code", ws.returncode, 0)
    ws.close()

    deleted = api.delete_namespaced_pod(name, ns)
    expect("deleted name", deleted.metadata.name, name)

    def gone():
        try:
            api.read_namespaced_pod(name, ns)
            return False, "still there"
        except ApiException as e:
            return e.status == 404, e.status

    wait("pod gone (404)", gone)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    ns = sys.argv[2] if len(sys.argv) > 2 else "default"
    name = sys.argv[3] if len(sys.argv) > 3 else "pyclient"
    config.load_kube_config(config_file=sys.argv[1])
    api = client.CoreV1Api()
    try:
        check(api, ns, name)
    except (Mismatch, ApiException) as e:
        print(f"kube_client: {e}", file=sys.stderr)
        try:
            api.delete_namespaced_pod(name, ns, grace_period_seconds=0)
        except ApiException:
            pass
        return 1
    print("kube_client: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
