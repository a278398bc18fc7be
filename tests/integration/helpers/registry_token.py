#!/usr/bin/python3
"""A token server for distribution's `auth: token`, for the images suites (test-only).

Usage: registry_token.py DIR PORTFILE [USER:PASS]
Makes DIR/key.pem and DIR/cert.pem (openssl, RSA, self-signed) unless they exist, listens on
127.0.0.1:<a free port> (written to PORTFILE once listening) and answers GET /token?service=
&scope=repository:<name>:<actions> with {"token": <an RS256 JWT>} granting what the scope asks.
With USER:PASS, a request without those basic credentials gets 401. Every request is logged to
DIR/token.log as "<authorization or -> <scope>". The registry's config then reads:
  auth:
    token:
      realm: http://127.0.0.1:<port>/token
      service: nanolet-test
      issuer: nanolet-test-issuer
      rootcertbundle: DIR/cert.pem
"""

import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

ISSUER = "nanolet-test-issuer"
SERVICE = "nanolet-test"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keys(d):
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=nanolet-test-token"],
                       check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return key, base64.b64encode(der).decode()


def sign(key, x5c, claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
                         check=True, capture_output=True).stdout
    return signing + "." + b64url(sig)


def main():
    d, portfile = sys.argv[1], sys.argv[2]
    creds = sys.argv[3] if len(sys.argv) > 3 else None
    key, x5c = keys(d)
    log = open(os.path.join(d, "token.log"), "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            auth = self.headers.get("Authorization")
            scope = q.get("scope", [""])[0]
            log.write("%s %s\n" % (auth or "-", scope))
            if u.path != "/token":
                self.send_response(404)
                self.end_headers()
                return
            if creds and auth != "Basic " + base64.b64encode(creds.encode()).decode():
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"wrong credentials"}')
                return
            access = []
            for s in q.get("scope", []):
                for one in s.split(" "):
                    parts = one.split(":")
                    if len(parts) >= 3:
                        access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                                       "actions": parts[-1].split(",")})
            now = int(time.time())
            claims = {"iss": ISSUER, "sub": (creds or "anonymous").split(":")[0],
                      "aud": q.get("service", [SERVICE])[0], "exp": now + 600, "nbf": now - 60,
                      "iat": now, "jti": "%d-%d" % (now, os.getpid()), "access": access}
            body = json.dumps({"token": sign(key, x5c, claims), "expires_in": 600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
