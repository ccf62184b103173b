"""A portal's receiver of sealsvc's job callbacks, for the tests: checks each callback's
signature as docs/api.md tells a portal to (HMAC-SHA256 under the job's callback key over
TIMESTAMP "." BODY, the timestamp recent), answers the first callback with 500 so that the
service has to retry, and records every request as a JSON line.

    python3 callback_receiver.py PORT_FILE KEY_FILE LOG_FILE

Listens on a free loopback port (written to PORT_FILE); reads the key from KEY_FILE when a
callback comes (the test writes it once the submit answered)."""
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, key_file, log_file = sys.argv[1:4]
seen = 0


def key():
    for _ in range(100):
        if os.path.exists(key_file) and os.path.getsize(key_file) > 0:
            return open(key_file).read().strip()
        time.sleep(0.05)
    return ""


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        seen += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stamp = self.headers.get("X-Sealsvc-Timestamp", "")
        given = self.headers.get("X-Sealsvc-Signature", "")
        want = "sha256=" + hmac.new(key().encode(), stamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(given, want) and stamp.isdigit() and \
            abs(time.time() - int(stamp)) < 300
        summary = json.loads(body) if body else {}
        with open(log_file, "a") as log:
            log.write(json.dumps({"request": seen, "valid": valid, "path": self.path,
                                  "attempt": self.headers.get("X-Sealsvc-Attempt"),
                                  "job": self.headers.get("X-Sealsvc-Job"),
                                  "summary": summary}) + "\n")
        status = 500 if seen == 1 else 204 if valid else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
