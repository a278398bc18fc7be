#!/usr/bin/python3
"""Builds OCI images offline for the images suites, and pushes them or writes archives.

An image is described in JSON (--desc FILE, or --desc-json STRING), every key optional:

  {
    "base": true,                  # busybox-static (/bin/busybox) as the bottom layer: the
                                   # applets as symlinks in /bin, /etc/passwd and /etc/group
                                   # (root, nobody, and "app" 1000:1000), /tmp, /root...
    "layers": [                    # more layers, bottom first; each:
      {"files": {"etc/motd": "hello\n",
                 "bin/x": {"content": "...", "mode": "0755", "uid": 0, "gid": 0}},
       "dirs": ["data", {"path": "data2", "mode": "0700"}],
       "symlinks": {"link": "target"},
       "hardlinks": {"new": "existing/in/this/layer"},
       "whiteouts": ["etc/motd"],    # .wh.motd in etc/
       "opaque": ["data"],           # data/.wh..wh..opq
       "raw": [{"name": "../escape", "content": "x"}]  # entries as written (bad tars)
      }
    ],
    "config": {"Entrypoint": [...], "Cmd": [...], "Env": [...], "WorkingDir": "/w",
               "User": "1000:1000"},
    "platforms": ["linux/amd64", "linux/arm64"],  # more than one (or "index": true): an index
    "index": false,
    "compression": "gzip",         # or "none" (plain tar layers)
    "format": "oci"                # or "docker" (Docker schema 2 media types)
  }

Without --desc the image is {"base": true} with Cmd ["sh"].

Commands:
  push --registry HOST:PORT --name REPO:TAG [--user U:P] [--insecure-tls]
      Pushes over HTTP (HTTPS with --https) with the distribution API: POST an upload,
      PUT the blob, PUT the manifest (and the index for several platforms). Basic and Bearer
      (token) auth as the registry's WWW-Authenticate asks.
  archive --format oci-archive|docker-archive --out FILE [--name REPO:TAG]
      Writes what `podman save` would.
  Both print a JSON summary on stdout: {"digest": what the tag resolves to (index or
  manifest), "manifest": the node platform's manifest digest, "config": its config digest,
  "layers": [layer blob digests, bottom first], "diff_ids": [...], "manifests": {platform:
  manifest digest}, "size": bytes of the node platform's manifest's blobs}.
"""

import argparse
import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import platform
import re
import ssl
import sys
import tarfile
import urllib.parse

MTIME = 1700000000  # fixed, so that the same layer built twice has the same digest

MT = {
    "oci": {
        "index": "application/vnd.oci.image.index.v1+json",
        "manifest": "application/vnd.oci.image.manifest.v1+json",
        "config": "application/vnd.oci.image.config.v1+json",
        "layer_gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
        "layer_none": "application/vnd.oci.image.layer.v1.tar",
    },
    "docker": {
        "index": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifest": "application/vnd.docker.distribution.manifest.v2+json",
        "config": "application/vnd.docker.container.image.v1+json",
        "layer_gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "layer_none": "application/vnd.docker.image.rootfs.diff.tar",
    },
}


def node_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Tar:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, kind, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = MTIME
        return ti

    def dir(self, name, mode=0o755, uid=0, gid=0):
        self.tar.addfile(self._info(name.rstrip("/") + "/", tarfile.DIRTYPE, mode, uid, gid))

    def file(self, name, content, mode=0o644, uid=0, gid=0):
        if isinstance(content, str):
            content = content.encode()
        ti = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(content)
        self.tar.addfile(ti, io.BytesIO(content))

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)

    def hardlink(self, name, target):
        ti = self._info(name, tarfile.LNKTYPE, 0o644)
        ti.linkname = target
        self.tar.addfile(ti)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def parents(t, seen, path):
    parts = path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d and d not in seen:
            seen.add(d)
            t.dir(d)


def base_layer():
    t = Tar()
    for d in ("bin", "etc", "root", "tmp", "proc", "sys", "dev", "usr", "usr/bin", "var"):
        t.dir(d, 0o1777 if d == "tmp" else (0o700 if d == "root" else 0o755))
    with open("/bin/busybox", "rb") as f:
        t.file("bin/busybox", f.read(), 0o755)
    applets = ["sh", "ls", "cat", "echo", "sleep", "env", "id", "pwd", "true", "false",
               "touch", "mkdir", "rm", "stat", "test", "wc", "head", "grep", "ps", "hostname",
               "whoami", "readlink", "date", "printf", "uname", "mount", "df"]
    for a in applets:
        t.symlink("bin/" + a, "busybox")
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
           "app:x:1000:1000:app:/home/app:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    t.file("etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n")
    return t.bytes()


def layer_tar(spec):
    t = Tar()
    seen = set()
    for d in spec.get("dirs", []):
        if isinstance(d, str):
            d = {"path": d}
        parents(t, seen, d["path"])
        seen.add(d["path"].strip("/"))
        t.dir(d["path"].strip("/"), int(str(d.get("mode", "0755")), 8), d.get("uid", 0),
              d.get("gid", 0))
    for name, f in spec.get("files", {}).items():
        if isinstance(f, str):
            f = {"content": f}
        parents(t, seen, name)
        t.file(name.strip("/"), f.get("content", ""), int(str(f.get("mode", "0644")), 8),
               f.get("uid", 0), f.get("gid", 0))
    for name, target in spec.get("symlinks", {}).items():
        parents(t, seen, name)
        t.symlink(name.strip("/"), target)
    for name, target in spec.get("hardlinks", {}).items():
        parents(t, seen, name)
        t.hardlink(name.strip("/"), target.strip("/"))
    for name in spec.get("whiteouts", []):
        parents(t, seen, name)
        d, b = os.path.split(name.strip("/"))
        t.file(os.path.join(d, ".wh." + b), b"")
    for d in spec.get("opaque", []):
        d = d.strip("/")
        if d not in seen:
            parents(t, seen, d + "/x")
        t.file(d + "/.wh..wh..opq", b"")
    for e in spec.get("raw", []):
        kind = e.get("type", "file")
        if kind == "symlink":
            t.symlink(e["name"], e["target"])
        elif kind == "hardlink":
            t.hardlink(e["name"], e["target"])
        elif kind == "dir":
            t.dir(e["name"])
        else:
            t.file(e["name"], e.get("content", ""), int(str(e.get("mode", "0644")), 8))
    return t.bytes()


def compress(data, how):
    if how == "none":
        return data
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(data)
    return out.getvalue()


class Image:
    """The blobs of one image description: blobs {digest: bytes}, and per platform a manifest."""

    def __init__(self, desc):
        self.desc = desc
        fmt = desc.get("format", "oci")
        self.mt = MT[fmt]
        comp = desc.get("compression", "gzip")
        self.blobs = {}
        tars = []
        if desc.get("base", True):
            tars.append(base_layer())
        for spec in desc.get("layers", []):
            tars.append(layer_tar(spec))
        self.layers = []
        self.diff_ids = []
        for t in tars:
            blob = compress(t, comp)
            d = digest(blob)
            self.blobs[d] = blob
            self.layers.append({"mediaType": self.mt["layer_" + comp], "digest": d,
                                "size": len(blob)})
            self.diff_ids.append(digest(t))
        cfg = {"Cmd": ["sh"]} if "config" not in desc else dict(desc["config"])
        plats = desc.get("platforms") or ["linux/" + node_arch()]
        self.platforms = plats
        self.manifests = {}  # platform -> (digest, bytes)
        self.configs = {}    # platform -> config digest
        for p in plats:
            os_, arch, *variant = p.split("/")
            config = {
                "created": "2023-11-14T22:13:20Z",
                "architecture": arch,
                "os": os_,
                "config": cfg,
                "rootfs": {"type": "layers", "diff_ids": self.diff_ids},
                "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "oci_image.py"}
                            for _ in self.layers],
            }
            if variant:
                config["variant"] = variant[0]
            cbytes = json.dumps(config, sort_keys=True).encode()
            cd = digest(cbytes)
            self.blobs[cd] = cbytes
            self.configs[p] = cd
            manifest = {
                "schemaVersion": 2,
                "mediaType": self.mt["manifest"],
                "config": {"mediaType": self.mt["config"], "digest": cd, "size": len(cbytes)},
                "layers": self.layers,
            }
            mbytes = json.dumps(manifest, sort_keys=True).encode()
            self.manifests[p] = (digest(mbytes), mbytes)
        self.index = None
        if len(plats) > 1 or desc.get("index"):
            entries = []
            for p in plats:
                os_, arch, *variant = p.split("/")
                pl = {"os": os_, "architecture": arch}
                if variant:
                    pl["variant"] = variant[0]
                md, mb = self.manifests[p]
                entries.append({"mediaType": self.mt["manifest"], "digest": md, "size": len(mb),
                                "platform": pl})
            index = {"schemaVersion": 2, "mediaType": self.mt["index"], "manifests": entries}
            ib = json.dumps(index, sort_keys=True).encode()
            self.index = (digest(ib), ib)

    def node_platform(self):
        arch = node_arch()
        for p in self.platforms:
            if p.split("/")[1] == arch:
                return p
        return self.platforms[0]

    def summary(self):
        p = self.node_platform()
        md, mb = self.manifests[p]
        cd = self.configs[p]
        return {
            "digest": self.index[0] if self.index else md,
            "index": self.index[0] if self.index else None,
            "manifest": md,
            "config": cd,
            "layers": [l["digest"] for l in self.layers],
            "diff_ids": self.diff_ids,
            "manifests": {q: self.manifests[q][0] for q in self.platforms},
            "configs": dict(self.configs),
            "size": len(self.blobs[cd]) + sum(l["size"] for l in self.layers),
        }


class Registry:
    def __init__(self, host, https=False, user=None, verify=True):
        self.host = host
        self.https = https
        self.user = user
        self.verify = verify
        self.auth = None  # the Authorization header that worked

    def conn(self, host=None, https=None):
        host = host or self.host
        https = self.https if https is None else https
        if https:
            ctx = ssl.create_default_context()
            if not self.verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(host, timeout=60, context=ctx)
        return http.client.HTTPConnection(host, timeout=60)

    def _token(self, challenge, scope):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = urllib.parse.urlsplit(params["realm"])
        q = {}
        if params.get("service"):
            q["service"] = params["service"]
        q["scope"] = scope or params.get("scope", "")
        path = realm.path + "?" + urllib.parse.urlencode(q)
        c = self.conn(realm.netloc, realm.scheme == "https")
        h = {}
        if self.user:
            h["Authorization"] = "Basic " + base64.b64encode(self.user.encode()).decode()
        c.request("GET", path, headers=h)
        r = c.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit("token request to %s: %d %s" % (params["realm"], r.status, body))
        j = json.loads(body)
        return "Bearer " + (j.get("token") or j.get("access_token"))

    def request(self, method, path, body=None, headers=None, scope=None):
        for attempt in range(2):
            h = dict(headers or {})
            if self.auth:
                h["Authorization"] = self.auth
            if body is not None:
                h["Content-Length"] = str(len(body))
            c = self.conn()
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            if r.status == 401 and attempt == 0:
                ch = r.getheader("WWW-Authenticate", "")
                if ch.lower().startswith("bearer"):
                    self.auth = self._token(ch, scope)
                elif ch.lower().startswith("basic") and self.user:
                    self.auth = "Basic " + base64.b64encode(self.user.encode()).decode()
                else:
                    raise SystemExit("%s %s: 401 and no way to authenticate" % (method, path))
                continue
            return r, data
        return r, data

    def push_blob(self, repo, d, data):
        scope = "repository:%s:pull,push" % repo
        r, _ = self.request("HEAD", "/v2/%s/blobs/%s" % (repo, d), scope=scope)
        if r.status == 200:
            return
        r, body = self.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"", scope=scope)
        if r.status != 202:
            raise SystemExit("POST upload of %s: %d %s" % (d, r.status, body))
        loc = urllib.parse.urlsplit(r.getheader("Location"))
        q = urllib.parse.parse_qsl(loc.query)
        q.append(("digest", d))
        path = loc.path + "?" + urllib.parse.urlencode(q)
        r, body = self.request("PUT", path, body=data,
                               headers={"Content-Type": "application/octet-stream"}, scope=scope)
        if r.status != 201:
            raise SystemExit("PUT blob %s: %d %s" % (d, r.status, body))

    def push_manifest(self, repo, ref, mt, data):
        r, body = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), body=data,
                               headers={"Content-Type": mt},
                               scope="repository:%s:pull,push" % repo)
        if r.status != 201:
            raise SystemExit("PUT manifest %s:%s: %d %s" % (repo, ref, r.status, body))


def split_name(name):
    """repo:tag -> (repo, tag); a name without a tag is :latest."""
    if "@" in name:
        name = name.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
    else:
        repo, tag = name, "latest"
    return repo, tag


def cmd_push(img, a):
    reg = Registry(a.registry, https=a.https, user=a.user, verify=not a.insecure_tls)
    repo, tag = split_name(a.name)
    for d, data in img.blobs.items():
        if d in {m[0] for m in img.manifests.values()}:
            continue
        reg.push_blob(repo, d, data)
    for p, (md, mb) in img.manifests.items():
        reg.push_manifest(repo, md if img.index else tag, img.mt["manifest"], mb)
    if img.index:
        reg.push_manifest(repo, tag, img.mt["index"], img.index[1])


def add_bytes(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = MTIME
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))


def cmd_archive(img, a):
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as t:
        if a.format == "oci-archive":
            add_bytes(t, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
            written = set()
            for d, data in list(img.blobs.items()) + [img.manifests[p] for p in img.platforms]:
                if d not in written:
                    written.add(d)
                    add_bytes(t, "blobs/sha256/" + d[7:], data)
            if img.index:
                add_bytes(t, "blobs/sha256/" + img.index[0][7:], img.index[1])
                top = {"mediaType": img.mt["index"], "digest": img.index[0],
                       "size": len(img.index[1])}
            else:
                md, mb = img.manifests[img.platforms[0]]
                top = {"mediaType": img.mt["manifest"], "digest": md, "size": len(mb)}
            if a.name:
                top["annotations"] = {"org.opencontainers.image.ref.name": a.name}
            index = {"schemaVersion": 2, "mediaType": MT["oci"]["index"], "manifests": [top]}
            add_bytes(t, "index.json", json.dumps(index).encode())
        else:
            p = img.node_platform()
            cd = img.configs[p]
            add_bytes(t, cd[7:] + ".json", img.blobs[cd])
            layers = []
            for l in img.layers:
                name = l["digest"][7:] + "/layer.tar"
                data = img.blobs[l["digest"]]
                if l["mediaType"].endswith("gzip"):
                    data = gzip.decompress(data)
                add_bytes(t, name, data)
                layers.append(name)
            m = [{"Config": cd[7:] + ".json", "RepoTags": [a.name] if a.name else [],
                  "Layers": layers}]
            add_bytes(t, "manifest.json", json.dumps(m).encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--desc", help="the image description (a JSON file)")
    ap.add_argument("--desc-json", help="the image description as a JSON string")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("push")
    p.add_argument("--registry", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--user")
    p.add_argument("--https", action="store_true")
    p.add_argument("--insecure-tls", action="store_true")
    p = sub.add_parser("archive")
    p.add_argument("--format", choices=["oci-archive", "docker-archive"], required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--name")
    sub.add_parser("describe", help="print the summary only")
    a = ap.parse_args()
    desc = {}
    if a.desc:
        with open(a.desc) as f:
            desc = json.load(f)
    elif a.desc_json:
        desc = json.loads(a.desc_json)
    img = Image(desc)
    if a.cmd == "push":
        cmd_push(img, a)
    elif a.cmd == "archive":
        cmd_archive(img, a)
    json.dump(img.summary(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
