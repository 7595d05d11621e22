#!/usr/bin/env python3
"""A small token server for the registry tests (docker's token authentication): GET
/token?service=S&scope=repository:NAME:ACTIONS... answers {"token": JWT} granting the scopes
asked for, when the request carries Basic credentials USER:PASSWORD. The JWT is RS256, signed
with `openssl dgst` using KEY, with the certificate CERT in its x5c header (the registry trusts
CERT through its rootcertbundle). Each request is printed as one line: "token SCOPES".
Usage: token_server.py PORT KEY CERT ISSUER USER PASSWORD"""
import base64
import http.server
import json
import subprocess
import sys
import time
import urllib.parse

port, key, cert, issuer, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
with open(cert) as f:
    der_b64 = "".join(line for line in f.read().splitlines() if "CERTIFICATE" not in line)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [der_b64]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                               capture_output=True, check=True).stdout
    return signing_input + "." + b64url(signature)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            print("token refused", flush=True)
            return
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":")[0], ":".join(scope.split(":")[1:-1]), scope.split(":")[-1]
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        token = sign({"iss": issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + 300,
                      "nbf": now - 10, "iat": now, "jti": str(now) + str(id(access)), "access": access})
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        print("token " + " ".join(query.get("scope", [])), flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
