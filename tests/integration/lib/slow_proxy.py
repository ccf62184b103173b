"""A slow peer for the tests: forwards each POST to TARGET after DELAY seconds and answers
with what TARGET answered. Put in front of a timestamp authority, it makes every stamp at level B-T take at least DELAY, as a slow TSA would, so that a test can
act on a batch job while it is running without racing the worker.

    python3 slow_proxy.py PORT_FILE TARGET_FILE DELAY

Listens on a free loopback port (written to PORT_FILE); TARGET_FILE holds the URL to
forward to, read for each request."""
import os
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, target_file, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])


class Proxy(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(delay)
        target = open(target_file).read().strip()
        request = urllib.request.Request(target, data=body, method="POST",
                                         headers={"Content-Type": self.headers.get("Content-Type", "")})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, kind, data = answer.status, answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as e:
            status, kind, data = e.code, e.headers.get("Content-Type", ""), e.read()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
