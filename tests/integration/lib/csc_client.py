#!/usr/bin/env python3
"""A Cloud Signature Consortium API v2 client written from the specification alone (no code
shared with sealsvc), for tests/integration/csc.sh: it calls a remote signing service the
way any CSC client would, computes what it signs itself (SHA-256, or for SM2 e = SM3(Z_A ||
M) with the default user ID of GB/T 32918.2 / GM/T 0009), and checks every signature with
openssl against the certificate that credentials/info returned.

    csc_client.py URL TOKEN SCENARIO [ARGS...]

Scenarios print what they checked and exit non-zero on the first surprise."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

OID_SHA256 = "2.16.840.1.101.3.4.2.1"
OID_SM3 = "1.2.156.10197.1.401"
SIGN_OIDS = {
    "rsa": "1.2.840.113549.1.1.11",
    "ecdsa": "1.2.840.10045.4.3.2",
    "sm2": "1.2.156.10197.1.501",
}
SM2_USER_ID = b"1234567812345678"
# GB/T 32918.5 (the recommended curve's parameters), for Z_A
SM2_A = bytes.fromhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC")
SM2_B = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
SM2_GX = bytes.fromhex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7")
SM2_GY = bytes.fromhex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")


class Refused(Exception):
    def __init__(self, status, body):
        super().__init__("%s %s" % (status, body))
        self.status = status
        self.body = body


class Client:
    def __init__(self, base, token=None):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method, body=None, token=None):
        """POST base/csc/v2/METHOD with a JSON body: the answer's JSON, or Refused."""
        data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(self.base + "/csc/v2/" + method, data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        tok = token if token is not None else self.token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise Refused(e.code, parsed)

    def refused(self, method, body, status, error, description=None, token=None):
        """The call must be refused with the specification's error object."""
        try:
            got = self.call(method, body, token)
        except Refused as e:
            assert e.status == status, (method, e.status, e.body)
            assert isinstance(e.body, dict) and e.body.get("error") == error, (method, e.body)
            assert isinstance(e.body.get("error_description"), str), e.body
            if description is not None:
                assert e.body["error_description"] == description, (method, e.body, description)
            return e.body
        raise AssertionError("%s was not refused: %s" % (method, got))


def b64(data):
    return base64.b64encode(data).decode()


def run(args, data=None):
    p = subprocess.run(args, input=data, capture_output=True)
    return p.returncode, p.stdout, p.stderr


def public_key(cert_der, folder):
    """The certificate's public key, PEM, in a file (openssl reads the certificate)."""
    path = os.path.join(folder, "pub-%d.pem" % len(os.listdir(folder)))
    rc, out, err = run(["openssl", "x509", "-inform", "DER", "-pubkey", "-noout"], cert_der)
    assert rc == 0, err
    open(path, "wb").write(out)
    return path


def sm2_point(pub_pem):
    """The SM2 public key's x and y (the uncompressed point, from openssl's text form)."""
    rc, out, err = run(["openssl", "pkey", "-pubin", "-text", "-noout"], pub_pem)
    assert rc == 0, err
    text = out.decode()
    hexes = text.split("pub:")[1].split("ASN1 OID")[0]
    point = bytes.fromhex("".join(c for c in hexes if c in "0123456789abcdef"))
    assert len(point) == 65 and point[0] == 4, point.hex()
    return point[1:33], point[33:]


def sm3(data):
    return hashlib.new("sm3", data).digest()


def to_be_signed(alg, message, pub_path):
    """What the client hands the service for `message`: SHA-256, or SM2's e = SM3(Z_A || M)
    (GB/T 32918.2 6.1: Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A))."""
    if alg != "sm2":
        return hashlib.sha256(message).digest()
    x, y = sm2_point(open(pub_path, "rb").read())
    entl = (len(SM2_USER_ID) * 8).to_bytes(2, "big")
    za = sm3(entl + SM2_USER_ID + SM2_A + SM2_B + SM2_GX + SM2_GY + x + y)
    return sm3(za + message)


def verify(alg, pub_path, message, signature, folder):
    """openssl pkeyutl -verify over the message itself (-rawin: openssl hashes, and for SM2
    folds in Z_A with the user ID), so the client's own hashing is checked as well."""
    msg = os.path.join(folder, "msg.bin")
    sig = os.path.join(folder, "sig.bin")
    open(msg, "wb").write(message)
    open(sig, "wb").write(signature)
    args = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub_path, "-rawin", "-in", msg,
            "-sigfile", sig]
    if alg == "sm2":
        args += ["-digest", "sm3", "-pkeyopt", "distid:" + SM2_USER_ID.decode()]
    else:
        args += ["-digest", "sha256"]
    rc, out, err = run(args)
    return rc == 0 and b"Signature Verified Successfully" in out


def credential(cli, cred):
    info = cli.call("credentials/info", {"credentialID": cred, "certificates": "chain",
                                          "certInfo": True, "authInfo": True})
    assert info["cert"]["certificates"], info
    return info


def algorithm_of(info):
    oid = info["key"]["algo"][0]
    return [name for name, o in SIGN_OIDS.items() if o == oid][0]


def scenario_sign(cli, cred, pin, folder):
    """List, info, authorize three hashes for two signatures, sign, check with openssl; then
    the SAD's refusals: a hash not authorized, a third signature, a hash signed again."""
    listed = cli.call("credentials/list", {"credentialInfo": True, "certificates": "single",
                                           "certInfo": True})
    assert cred in listed["credentialIDs"], listed
    assert len(listed["credentialIDs"]) == len(listed["credentialInfos"]), listed
    info = credential(cli, cred)
    alg = algorithm_of(info)
    assert info["key"]["status"] == "enabled" and info["cert"]["status"] == "valid", info
    assert info["auth"]["mode"] == "explicit" and info["auth"]["objects"][0]["type"] == "PIN", info
    assert info["SCAL"] == "2" and info["multisign"] >= 3, info
    assert info["cert"]["subjectDN"] and info["cert"]["validTo"].endswith("Z"), info
    if alg == "sm2":
        assert "1234567812345678" in info["description"], info
    pub = public_key(base64.b64decode(info["cert"]["certificates"][0]), folder)
    hash_oid = OID_SM3 if alg == "sm2" else OID_SHA256
    messages = [os.urandom(200) for _ in range(3)]
    hashes = [to_be_signed(alg, m, pub) for m in messages]
    auth = cli.call("credentials/authorize", {
        "credentialID": cred, "numSignatures": 2, "hashes": [b64(h) for h in hashes],
        "hashAlgorithmOID": hash_oid, "authData": [{"id": "PIN", "value": pin}]})
    sad = auth["SAD"]
    assert isinstance(sad, str) and auth["expiresIn"] > 0, auth
    req = {"credentialID": cred, "SAD": sad, "hashAlgorithmOID": hash_oid,
           "signAlgo": SIGN_OIDS[alg], "operationMode": "S"}
    # a hash the SAD does not name
    other = to_be_signed(alg, b"another document", pub)
    cli.refused("signatures/signHash", dict(req, hashes=[b64(other)]), 400, "invalid_request",
                "Hash is not authorized by the SAD")
    # the wrong length
    cli.refused("signatures/signHash", dict(req, hashes=[b64(b"short")]), 400, "invalid_request",
                "Invalid digest value length")
    # another algorithm than the key's
    wrong_algo = SIGN_OIDS["rsa" if alg != "rsa" else "ecdsa"]
    cli.refused("signatures/signHash", dict(req, hashes=[b64(hashes[0])], signAlgo=wrong_algo),
                400, "invalid_request", "Invalid parameter signAlgo")
    # an altered SAD
    bad_sad = sad[:-2] + ("AA" if not sad.endswith("AA") else "BB")
    cli.refused("signatures/signHash", dict(req, SAD=bad_sad, hashes=[b64(hashes[0])]), 400,
                "invalid_request", "Invalid parameter SAD")
    cli.refused("signatures/signHash", {k: v for k, v in req.items() if k != "SAD"} |
                {"hashes": [b64(hashes[0])]}, 400, "invalid_request",
                "Missing (or invalid type) string parameter SAD")
    # two signatures, in the order of the hashes
    got = cli.call("signatures/signHash", dict(req, hashes=[b64(hashes[1]), b64(hashes[0])]))
    sigs = [base64.b64decode(s) for s in got["signatures"]]
    assert len(sigs) == 2, got
    assert verify(alg, pub, messages[1], sigs[0], folder), "signature 1 does not verify"
    assert verify(alg, pub, messages[0], sigs[1], folder), "signature 2 does not verify"
    assert not verify(alg, pub, messages[2], sigs[0], folder), "openssl verifies anything"
    # a third signature: more than numSignatures
    cli.refused("signatures/signHash", dict(req, hashes=[b64(hashes[2])]), 400, "invalid_request",
                "Numbers of signatures is too high")
    # a hash signed again
    cli.refused("signatures/signHash", dict(req, hashes=[b64(hashes[0])]), 400, "invalid_request",
                "Hash already signed with this SAD")
    print("%s: %s signatures verified by openssl; refusals as specified" % (cred, alg))
    return sad


def scenario_sad_elsewhere(cli, cred, pin, folder):
    """Authorize here; print the SAD, a fresh hash's message and the hash (for another
    instance to sign, scenario spend)."""
    info = credential(cli, cred)
    alg = algorithm_of(info)
    pub = public_key(base64.b64decode(info["cert"]["certificates"][0]), folder)
    message = os.urandom(100)
    h = to_be_signed(alg, message, pub)
    auth = cli.call("credentials/authorize", {
        "credentialID": cred, "numSignatures": 1, "hashes": [b64(h)],
        "hashAlgorithmOID": OID_SM3 if alg == "sm2" else OID_SHA256,
        "authData": [{"id": "PIN", "value": pin}]})
    print(json.dumps({"SAD": auth["SAD"], "hash": b64(h), "message": b64(message),
                      "expiresIn": auth["expiresIn"]}))


def scenario_spend(cli, cred, sad_json, expect, folder):
    """Signs the hash of sad_json (scenario sad_elsewhere): `expect` "ok" (the signature
    verified), or the error_description expected."""
    s = json.loads(sad_json)
    info = credential(cli, cred)
    alg = algorithm_of(info)
    pub = public_key(base64.b64decode(info["cert"]["certificates"][0]), folder)
    req = {"credentialID": cred, "SAD": s["SAD"], "hashes": [s["hash"]],
           "hashAlgorithmOID": OID_SM3 if alg == "sm2" else OID_SHA256,
           "signAlgo": SIGN_OIDS[alg]}
    if expect == "ok":
        got = cli.call("signatures/signHash", req)
        assert verify(alg, pub, base64.b64decode(s["message"]),
                      base64.b64decode(got["signatures"][0]), folder), "does not verify"
        print("%s: signed with a SAD from elsewhere, verified" % cred)
    else:
        cli.refused("signatures/signHash", req, 400, "invalid_request", expect)
        print("%s: refused as expected: %s" % (cred, expect))


def scenario_pin(cli, cred, good_pin, limit, folder):
    """A wrong PIN is refused ("The PIN is invalid") until the seal locks after `limit` of
    them ("PIN locked"); the right PIN is refused then too, and the key shows disabled."""
    info = credential(cli, cred)
    alg = algorithm_of(info)
    h = b64(os.urandom(32))
    body = {"credentialID": cred, "numSignatures": 1, "hashes": [h],
            "hashAlgorithmOID": OID_SM3 if alg == "sm2" else OID_SHA256}
    cli.refused("credentials/authorize", body, 400, "invalid_request")  # no PIN at all
    for i in range(1, limit + 1):
        want = "PIN locked" if i == limit else "The PIN is invalid"
        cli.refused("credentials/authorize", dict(body, authData=[{"id": "PIN", "value": "wrong-%d" % i}]),
                    400, "invalid_request", want)
    cli.refused("credentials/authorize", dict(body, authData=[{"id": "PIN", "value": good_pin}]),
                400, "invalid_request", "PIN locked")
    assert credential(cli, cred)["key"]["status"] == "disabled"
    print("%s: locked after %d wrong PINs" % (cred, limit))


def scenario_status(cli, cred, pin, want, folder):
    """credentials/info shows the certificate's status `want`; authorize refuses a
    certificate that is not valid."""
    info = credential(cli, cred)
    assert info["cert"]["status"] == want, info["cert"]
    listed = cli.call("credentials/list", {"onlyValid": True})
    assert (cred in listed["credentialIDs"]) == (want == "valid"), listed
    alg = algorithm_of(info)
    body = {"credentialID": cred, "numSignatures": 1, "hashes": [b64(os.urandom(32))],
            "hashAlgorithmOID": OID_SM3 if alg == "sm2" else OID_SHA256,
            "authData": [{"id": "PIN", "value": pin}]}
    if want == "valid":
        cli.call("credentials/authorize", body)
    else:
        cli.refused("credentials/authorize", body, 400, "invalid_request",
                    "The certificate is %s" % want)
    print("%s: certificate %s" % (cred, want))


def scenario_expiry(cli, cred, pin, folder):
    """A SAD past its expiresIn is refused ("SAD expired")."""
    info = credential(cli, cred)
    alg = algorithm_of(info)
    h = b64(os.urandom(32))
    hash_oid = OID_SM3 if alg == "sm2" else OID_SHA256
    auth = cli.call("credentials/authorize", {
        "credentialID": cred, "numSignatures": 1, "hashes": [h], "hashAlgorithmOID": hash_oid,
        "authData": [{"id": "PIN", "value": pin}]})
    time.sleep(auth["expiresIn"] + 1.5)
    cli.refused("signatures/signHash", {"credentialID": cred, "SAD": auth["SAD"], "hashes": [h],
                                        "hashAlgorithmOID": hash_oid, "signAlgo": SIGN_OIDS[alg]},
                400, "invalid_request", "SAD expired")
    print("%s: SAD expired after %d s" % (cred, auth["expiresIn"]))


def scenario_basics(cli, folder):
    """info without a token; the token refusals; a method not implemented."""
    info = cli.call("info", {}, token="")
    assert info["specs"].startswith("2."), info
    for m in ("credentials/list", "credentials/info", "credentials/authorize",
              "signatures/signHash"):
        assert m in info["methods"], info
    assert set(SIGN_OIDS.values()) <= set(info["signAlgorithms"]["algos"]), info
    assert info["authType"], info
    cli.refused("credentials/list", {}, 401, "invalid_token", token="")
    cli.refused("credentials/list", {}, 401, "invalid_token", token="not-a-key")
    cli.refused("signatures/signHash", {}, 401, "invalid_token", token="")
    cli.refused("credentials/info", {"credentialID": "no-such-seal"}, 400, "invalid_request",
                "Invalid parameter credentialID")
    cli.refused("credentials/info", {}, 400, "invalid_request",
                "Missing (or invalid type) string parameter credentialID")
    cli.refused("credentials/sendOTP", {}, 501, "not_implemented_method")
    print("info, tokens and unknown methods as specified")
    return info


def scenario_sign_doc(cli, cred, pin, pdf_in, pdf_out, level, extension, folder):
    """signatures/signDoc: authorize one signature (no hashes: documents), send the PDF,
    write the signed one."""
    auth = cli.call("credentials/authorize", {"credentialID": cred, "numSignatures": 1,
                                              "authData": [{"id": "PIN", "value": pin}]})
    doc = {"document": b64(open(pdf_in, "rb").read()), "signature_format": "P",
           "conformance_level": level}
    if extension:
        doc.update(json.loads(extension))
    req = {"credentialID": cred, "SAD": auth["SAD"], "documents": [doc]}
    got = cli.call("signatures/signDoc", req)
    signed = base64.b64decode(got["DocumentWithSignature"][0])
    assert signed.startswith(b"%PDF-"), signed[:20]
    open(pdf_out, "wb").write(signed)
    # the SAD's one signature is spent
    cli.refused("signatures/signDoc", req, 400, "invalid_request")
    print("%s: signDoc %s made %s" % (cred, level, pdf_out))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cli = Client(sys.argv[1], sys.argv[2])
    scenario, args = sys.argv[3], sys.argv[4:]
    with tempfile.TemporaryDirectory() as folder:
        if scenario == "basics":
            scenario_basics(cli, folder)
        elif scenario == "sign":
            scenario_sign(cli, args[0], args[1], folder)
        elif scenario == "authorize":
            scenario_sad_elsewhere(cli, args[0], args[1], folder)
        elif scenario == "spend":
            scenario_spend(cli, args[0], args[1], args[2], folder)
        elif scenario == "pin":
            scenario_pin(cli, args[0], args[1], int(args[2]), folder)
        elif scenario == "status":
            scenario_status(cli, args[0], args[1], args[2], folder)
        elif scenario == "expiry":
            scenario_expiry(cli, args[0], args[1], folder)
        elif scenario == "signdoc":
            scenario_sign_doc(cli, *args[:5], args[5] if len(args) > 5 else "", folder)
        else:
            sys.exit("unknown scenario " + scenario)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, Refused) as e:
        sys.exit("csc_client: %r" % (e,))
