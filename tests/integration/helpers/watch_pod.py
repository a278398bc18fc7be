#!/usr/bin/python3
"""tests/integration/helpers/watch_pod.py KUBECONFIG NAMESPACE NAME PHASE TIMEOUT: Debian's
python3-kubernetes (client-go's Python sibling) watches one pod through
kubernetes.watch.Watch().stream(list_namespaced_pod), as its users write it, until the pod's
phase is PHASE. Prints each event as "TYPE NAME PHASE RESOURCEVERSION" and exits 0 when PHASE was
seen, 1 when the watch ended (TIMEOUT seconds) without it."""
import sys

from kubernetes import client, config, watch


def main():
    kubeconfig, namespace, name, phase, timeout = sys.argv[1:6]
    # the server, its CA and the token, as `nanoletd kubeconfig` gives them
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()
    w = watch.Watch()
    for event in w.stream(v1.list_namespaced_pod, namespace,
                          field_selector="metadata.name=" + name,
                          timeout_seconds=int(timeout)):
        pod = event["object"]
        print(event["type"], pod.metadata.name, pod.status.phase,
              pod.metadata.resource_version, flush=True)
        if pod.status.phase == phase:
            w.stop()
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
