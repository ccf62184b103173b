#!/usr/bin/env python3
"""An independent RFC 3161 TSA for the tests: a loopback HTTP server that answers each
POSTed TimeStampReq with `openssl ts -reply` (OpenSSL's own TSA code, with the demo TSA
key), so our client is tested against a TSA that is not ours. The URL path picks a
behaviour, to test that our client refuses a bad TSA:

  /good           answers the request as sent
  /wrong-imprint  answers a request whose imprint was changed (a token for other data)
  /wrong-nonce    answers a request whose nonce was changed (a replayed answer)
  /html           answers 200 with text/html

usage: openssl_tsa.py CONFIG PASSFILE PORTFILE  (writes the bound port to PORTFILE)
"""
import http.server
import os
import subprocess
import sys
import tempfile


def der_header(buf, pos):
    """(content start, content end) of the DER element at pos."""
    length = buf[pos + 1]
    start = pos + 2
    if length & 0x80:
        n = length & 0x7f
        length = int.from_bytes(buf[pos + 2:pos + 2 + n], 'big')
        start += n
    return start, start + length


def field_end(buf, what):
    """End offset of the imprint's hash (OCTET STRING) or of the nonce (INTEGER)."""
    start, end = der_header(buf, 0)           # TimeStampReq
    _, pos = der_header(buf, start)           # version
    imprint_start, imprint_end = der_header(buf, pos)
    _, alg_end = der_header(buf, imprint_start)
    _, hash_end = der_header(buf, alg_end)
    if what == 'imprint':
        return hash_end
    pos = imprint_end
    while pos < end:
        tag = buf[pos]
        _, elem_end = der_header(buf, pos)
        if tag == 0x02:
            return elem_end
        pos = elem_end
    raise ValueError('the request has no nonce')


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write('openssl-tsa: ' + fmt % args + '\n')

    def do_POST(self):
        body = bytearray(self.rfile.read(int(self.headers.get('Content-Length', '0'))))
        mode = self.path.strip('/')
        if mode == 'html':
            return self.send(200, 'text/html', b'<html>not a TSA</html>')
        if mode in ('wrong-imprint', 'wrong-nonce'):
            at = field_end(body, 'imprint' if mode == 'wrong-imprint' else 'nonce') - 1
            body[at] ^= 0x01
        with tempfile.TemporaryDirectory() as tmp:
            query, reply = os.path.join(tmp, 'q.tsq'), os.path.join(tmp, 'r.tsr')
            open(query, 'wb').write(body)
            done = subprocess.run(['openssl', 'ts', '-reply', '-config', CONFIG, '-queryfile',
                                   query, '-out', reply, '-passin', 'file:' + PASSFILE],
                                  capture_output=True)
            if done.returncode != 0:
                return self.send(500, 'text/plain', done.stderr)
            self.send(200, 'application/timestamp-reply', open(reply, 'rb').read())

    def send(self, code, content_type, data):
        self.send_response(code)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)


CONFIG, PASSFILE, PORTFILE = sys.argv[1:4]
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
with open(PORTFILE + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + '.tmp', PORTFILE)
server.serve_forever()
