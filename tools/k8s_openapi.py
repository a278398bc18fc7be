#!/usr/bin/env python3
"""tools/k8s_openapi.py: makes the OpenAPI v3 documents nanoletd serves (GET /openapi/v3/...).

    tools/k8s_openapi.py KUBERNETES_API_V1_JSON

KUBERNETES_API_V1_JSON is Kubernetes' own api/openapi-spec/v3/api__v1_openapi.json of the
release nanolet follows (routes.h API_KUBE_MINOR; kubernetes-sigs/kubectl-validate keeps a copy
of each release's as pkg/openapiclient/builtins/1.NN/api/v1.json). Writes, in the repository:

  api/k8s/core-v1.json     that document trimmed to what nanolet serves: the paths of PATHS
                           (only their methods listed there) and every schema they reach, with
                           Kubernetes' descriptions and extensions as they are
  api/k8s/nanolet-v1.json  nanolet.io/v1 (IsolationPlan), from api/openapi.yaml's schemas

Both are committed; CMake embeds them into nanoletd (daemon/api_openapi.c), which appends
nanolet's own words to the descriptions of the Pod fields pkg/plan explains. Run it again when
the followed release or PATHS change. Dev-time only: Python 3 and PyYAML.
"""
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What nanolet serves of core/v1, path -> methods: the route table (daemon/routes.c) and the
# verbs discovery lists (daemon/api_discovery.c). Watches are ?watch=true on the list paths.
PATHS = {
    "/api/v1/": ["get"],
    "/api/v1/pods": ["get"],
    "/api/v1/namespaces/{namespace}/pods": ["get", "post"],
    "/api/v1/namespaces/{namespace}/pods/{name}": ["get", "delete", "patch", "put"],
    "/api/v1/namespaces/{namespace}/pods/{name}/log": ["get"],
    "/api/v1/namespaces/{namespace}/pods/{name}/exec": ["get", "post"],
    "/api/v1/namespaces/{namespace}/pods/{name}/status": ["get"],
    "/api/v1/events": ["get"],
    "/api/v1/namespaces/{namespace}/events": ["get"],
    "/api/v1/namespaces/{namespace}/events/{name}": ["get"],
    "/api/v1/namespaces": ["get", "post"],
    "/api/v1/namespaces/{name}": ["get"],
    "/api/v1/nodes": ["get"],
    "/api/v1/nodes/{name}": ["get"],
}

# Kinds nanolet answers with that no kept path names (errors, delete bodies).
EXTRA_SCHEMAS = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
]

ORIGIN = ("Kubernetes v1.%d api/openapi-spec/v3/api__v1_openapi.json (Apache-2.0, The Kubernetes "
          "Authors), trimmed by tools/k8s_openapi.py to what nanolet serves")


def refs(node, out):
    """Every schema name a $ref in node names."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/components/schemas/"):
                out.add(v[len("#/components/schemas/"):])
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def closure(schemas, names):
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            sys.exit("k8s_openapi: %s is referenced but not in the document" % name)
        seen.add(name)
        found = set()
        refs(schemas[name], found)
        todo.extend(found - seen)
    return seen


def core(src, minor):
    paths = {}
    for path, methods in PATHS.items():
        item = src["paths"].get(path)
        if item is None:
            sys.exit("k8s_openapi: %s is not in the document" % path)
        kept = {m: item[m] for m in methods if m in item}
        missing = [m for m in methods if m not in item]
        if missing:
            sys.exit("k8s_openapi: %s has no %s" % (path, ", ".join(missing)))
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        paths[path] = kept
    used = set(EXTRA_SCHEMAS)
    refs(paths, used)
    schemas = src["components"]["schemas"]
    keep = closure(schemas, used)
    return {
        "openapi": src["openapi"],
        "info": {"title": "Kubernetes", "version": "unversioned", "x-nanolet-origin": ORIGIN % minor},
        "paths": paths,
        "components": {
            "schemas": {k: schemas[k] for k in sorted(keep)},
            "securitySchemes": src["components"].get("securitySchemes", {}),
        },
    }


def rename(node, names):
    """node with nanolet's component names as io.nanolet.v1.* and OpenAPI 3.0 nullable kept."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and v.startswith("#/components/schemas/"):
                out[k] = "#/components/schemas/" + names[v.split("/")[-1]]
            else:
                out[k] = rename(v, names)
        return out
    if isinstance(node, list):
        return [rename(v, names) for v in node]
    return node


def nanolet():
    with open(os.path.join(ROOT, "api", "openapi.yaml")) as f:
        own = yaml.safe_load(f)
    schemas = own["components"]["schemas"]
    reached = set()
    refs(schemas["IsolationPlan"], reached)
    reached.add("IsolationPlan")
    reached.add("Status")
    names = {n: "io.nanolet.v1." + n for n in reached}
    out = {names[n]: rename(schemas[n], names) for n in sorted(reached)}
    out["io.nanolet.v1.IsolationPlan"]["x-kubernetes-group-version-kind"] = [
        {"group": "nanolet.io", "kind": "IsolationPlan", "version": "v1"}]
    post = own["paths"]["/apis/nanolet.io/v1/isolationplans"]["post"]
    validation = own["components"]["parameters"]["fieldValidation"]
    status = {"description": "A Kubernetes Status",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/" + names["Status"]}}}}
    return {
        "openapi": "3.0.0",
        "info": {"title": "nanolet", "version": "v1"},
        "paths": {
            "/apis/nanolet.io/v1/isolationplans": {
                "post": {
                    "description": post["summary"],
                    "operationId": "createNanoletV1IsolationPlan",
                    "parameters": [validation],
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"type": "object", "description": "a core/v1 Pod"}},
                        "application/yaml": {"schema": {"type": "string"}}}},
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": {
                            "$ref": "#/components/schemas/io.nanolet.v1.IsolationPlan"}}}},
                        "400": status, "403": status, "413": status, "415": status, "422": status,
                    },
                    "x-kubernetes-action": "post",
                    "x-kubernetes-group-version-kind": {"group": "nanolet.io", "kind": "IsolationPlan", "version": "v1"},
                },
            },
        },
        "components": {"schemas": out},
    }


def write(path, doc):
    with open(os.path.join(ROOT, path), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        src = json.load(f)
    minor = None
    with open(os.path.join(ROOT, "daemon", "routes.h")) as f:
        for line in f:
            if line.startswith("#define API_KUBE_MINOR "):
                minor = int(line.split()[2])
    if minor is None:
        sys.exit("k8s_openapi: no API_KUBE_MINOR in daemon/routes.h")
    write("api/k8s/core-v1.json", core(src, minor))
    write("api/k8s/nanolet-v1.json", nanolet())


if __name__ == "__main__":
    main()
