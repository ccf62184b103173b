#!/usr/bin/env python3
"""An OCSP responder for the integration tests that owes nothing to sealsvc: python3's
http.server on 127.0.0.1 hands each request (POST, or GET /BASE64 as in RFC 6960 A.1) to
`openssl ocsp` with the CA's index file and returns the answer `openssl ocsp` made.

--mode wrong-nonce answers a request of its own for the same certificate, with another
nonce (what a replayed or misdirected answer looks like). Signing with a key the CA never
authorised is a matter of --rsigner/--rkey."""
import argparse
import base64
import http.server
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--rsigner", required=True)
    p.add_argument("--rkey", required=True)
    p.add_argument("--mode", choices=["normal", "wrong-nonce"], default="normal")
    a = p.parse_args()

    def openssl(*args):
        subprocess.run(["openssl", "ocsp", *args], check=True, capture_output=True)

    def answer(request: bytes) -> bytes:
        with tempfile.TemporaryDirectory(prefix="ocsp-peer.") as work:
            return answer_in(work, request)

    def answer_in(work: str, request: bytes) -> bytes:
        req = os.path.join(work, "req.der")
        resp = os.path.join(work, "resp.der")
        with open(req, "wb") as f:
            f.write(request)
        if a.mode == "wrong-nonce":
            text = subprocess.run(["openssl", "ocsp", "-reqin", req, "-req_text"],
                                  check=True, capture_output=True, text=True).stdout
            serial = re.search(r"Serial Number: ([0-9A-Fa-f]+)", text).group(1)
            openssl("-issuer", a.ca, "-serial", "0x" + serial, "-reqout", req)
        openssl("-index", a.index, "-CA", a.ca, "-rsigner", a.rsigner, "-rkey", a.rkey,
                "-reqin", req, "-respout", resp, "-nmin", "30")
        with open(resp, "rb") as f:
            return f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, request: bytes):
            try:
                body = answer(request)
            except (subprocess.CalledProcessError, AttributeError) as e:
                self.send_error(500, str(e))
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            self.reply(self.rfile.read(n))

        def do_GET(self):
            b64 = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
            self.reply(base64.b64decode(b64 + "=" * (-len(b64) % 4)))

        def log_message(self, fmt, *args):
            sys.stderr.write("ocsp-peer: " + fmt % args + "\n")

    http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
