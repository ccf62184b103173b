#!/usr/bin/env python3
"""Independent readers of PAdES levels for the integration tests (Python's standard
library and qpdf's JSON, not sealsvc's code):

  pades.py token CMS.der OUT.der        -> the id-aa-signatureTimeStampToken of a CMS
  pades.py gentime TOKEN.txt            -> genTime of `openssl ts -reply -token_in -text`,
                                           as YYYY-MM-DDTHH:MM:SSZ
  pades.py dss FILE.pdf DIR             -> prints "certs N crls N ocsps N vri KEY,KEY..."
                                           and writes DIR/crl-K.der, DIR/cert-K.der...
  pades.py vrikey FILE.pdf N            -> uppercase hex SHA-1 of signature N's /Contents
"""
import base64
import datetime
import hashlib
import json
import re
import subprocess
import sys

TST_OID = bytes.fromhex('060b2a864886f70d010910020e')  # 1.2.840.113549.1.9.16.2.14


def der_next(buf, pos):
    length = buf[pos + 1]
    hdr = 2
    if length & 0x80:
        n = length & 0x7f
        length = int.from_bytes(buf[pos + 2:pos + 2 + n], 'big')
        hdr += n
    return buf[pos], pos + hdr, pos + hdr + length


def token(cms_path, out_path):
    cms = open(cms_path, 'rb').read()
    at = cms.find(TST_OID)
    if at < 0:
        sys.exit('the CMS has no signature timestamp')
    _, start, end = der_next(cms, at + len(TST_OID))  # the SET OF values
    _, _, value_end = der_next(cms, start)
    open(out_path, 'wb').write(cms[start:value_end])


def gentime(text_path):
    m = re.search(r'^Time stamp: (.*)$', open(text_path).read(), re.M)
    t = datetime.datetime.strptime(m.group(1).strip(), '%b %d %H:%M:%S %Y %Z')
    print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))


def dss(pdf, outdir):
    j = json.loads(subprocess.run(['qpdf', '--json=2', '--json-key=qpdf',
                                   '--json-stream-data=inline', '--decode-level=generalized',
                                   pdf], capture_output=True, check=True).stdout)['qpdf'][1]
    cat = j['obj:' + j['trailer']['value']['/Root']]['value']
    d = j['obj:' + cat['/DSS']]['value']
    counts = []
    for key, name in (('/Certs', 'cert'), ('/CRLs', 'crl'), ('/OCSPs', 'ocsp')):
        refs = d.get(key, [])
        for k, ref in enumerate(refs):
            data = base64.b64decode(j['obj:' + ref]['stream']['data'])
            open('%s/%s-%d.der' % (outdir, name, k), 'wb').write(data)
        counts.append('%ss %d' % (name, len(refs)))
    print(' '.join(counts), 'vri', ','.join(k[1:] for k in sorted(d.get('/VRI', {}))))


def vrikey(pdf, n):
    data = open(pdf, 'rb').read()
    ranges = re.findall(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data)
    a, b = int(ranges[n][1]), int(ranges[n][2])
    contents = bytes.fromhex(re.sub(rb'\s', b'', data[a + 1:b - 1]).decode())
    print(hashlib.sha1(contents).hexdigest().upper())


cmd = sys.argv[1]
if cmd == 'token':
    token(sys.argv[2], sys.argv[3])
elif cmd == 'gentime':
    gentime(sys.argv[2])
elif cmd == 'dss':
    dss(sys.argv[2], sys.argv[3])
elif cmd == 'vrikey':
    vrikey(sys.argv[2], int(sys.argv[3]))
else:
    sys.exit(__doc__)
