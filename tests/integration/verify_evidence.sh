#!/usr/bin/env bash
# The evidence bundle: a bidder (no platform data, the root as the only anchor) verifies a
# B-B PDF (no timestamp, no DSS) whose CA answers OCSP and serves CRLs on loopback
# (`sealsvc ocsp`, as revocation_ours.sh), with --evidence-out DIR; the folder holds the
# certificates, the OCSP response and CRL the verdict used, each as its manifest says
# (SHA-256, kind, what for) and readable by openssl. With the responders stopped, `verify
# --offline --evidence DIR` gives the same verdict and status; without the evidence it is
# INDETERMINATE / TRY_LATER; with the OCSP response damaged it is no longer VALID. The same
# for a signer frozen after signing (INDETERMINATE / REVOKED_NO_POE, reproduced). A folder
# that holds something already is refused and left as it was.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/peers.sh"

OCSP_PORT=$(free_port)
CRL_PORT=$(free_port)
"$SEALSVC" demo init --dir "$WORK/data" --ocsp-port "$OCSP_PORT" --crl-port "$CRL_PORT" \
    >"$WORK/manifest.json" 2>"$WORK/demo.log" || fail "demo init failed: $(cat "$WORK/demo.log")"
DATA="$WORK/data"
ROOT="$DATA/trust/root-ca.pem"
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
pin_of() { json_get "$WORK/manifest.json" "[s['pin'] for s in r['seals'] if s['id'] == '$1'][0]"; }
start_responders() {
    start_peer ocsp "$OCSP_PORT" "$SEALSVC" --data "$DATA" ocsp --listen "127.0.0.1:$OCSP_PORT"
    start_peer crl "$CRL_PORT" "$SEALSVC" --data "$DATA" ocsp --listen "127.0.0.1:$CRL_PORT"
}
stop_responders() {
    stop_peer ocsp
    stop_peer crl
}
stamp() { # SEAL OUT
    SEALSVC_PIN=$(pin_of "$1") "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$2" --seal "$1" \
        --page 1 --at 100,100 >/dev/null 2>"$WORK/stamp.err" ||
        fail "stamp with $1 failed: $(cat "$WORK/stamp.err")"
}
bidder() { # EXIT OUT.json FILE [ARGS...]: verify as a bidder, trusting the root only
    local want=$1 out=$2
    shift 2
    expect_exit "$want" "$SEALSVC" verify "$@" --trust "$ROOT" --format json
    cp "$WORK/out" "$out"
}
same_verdict() { # A.json B.json
    python3 - "$1" "$2" <<'PY' || fail "$2 does not reproduce the verdict of $1"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: (r["verdict"], r["reason"], r["status"], [(s["verdict"], s["reason"], s["status"]) for s in r["signatures"]])
assert key(a) == key(b), (key(a), key(b))
# the same certificates, judged by the same evidence
ev = lambda r: [(c["sha256"], c["status"], (c["evidence"] or {}).get("sha256")) for s in r["signatures"] for c in s["certificates"]]
assert ev(a) == ev(b), (ev(a), ev(b))
PY
}
expect_status() { # REPORT.json INDICATION SUB-INDICATION
    python3 - "$@" <<'PY' || fail "$1: not $2 / $3: $(head -c 1500 "$1")"
import json, sys
st = json.load(open(sys.argv[1]))["status"]
assert st["indication"] == sys.argv[2] and (st["sub_indication"] or "") == sys.argv[3], st
PY
}

start_responders
stamp xinghe-official "$WORK/xinghe.pdf"
stamp pujiang-official "$WORK/pujiang.pdf"

# --- online, with the bundle written
bidder 0 "$WORK/online.json" "$WORK/xinghe.pdf" --evidence-out "$WORK/ev"
expect_status "$WORK/online.json" TOTAL_PASSED ""
python3 - "$WORK/ev" "$WORK/online.json" "$WORK/xinghe.pdf" <<'PY' || fail "the evidence bundle is not what its manifest says"
import hashlib, json, os, subprocess, sys
ev, report, pdf = sys.argv[1:4]
m = json.load(open(os.path.join(ev, "manifest.json")))
r = json.load(open(report))
assert m["verdict"] == "VALID" and m["indication"] == "TOTAL_PASSED", m
assert m["document"]["sha256"] == hashlib.sha256(open(pdf, "rb").read()).hexdigest(), m["document"]
kinds = {}
for f in m["files"]:
    path = os.path.join(ev, f["file"])
    data = open(path, "rb").read()
    assert hashlib.sha256(data if f["kind"] != "certificate" else
                          subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                                         check=True, capture_output=True).stdout).hexdigest() == f["sha256"], f
    assert f["used_for"] and all("signature 1 (Seal1)" in u for u in f["used_for"]), f
    kinds.setdefault(f["kind"], []).append(path)
# the signer by OCSP, the issuing CA by the root's CRL; three certificates (leaf, CA, root)
assert len(kinds.get("certificate", [])) == 3, kinds
assert len(kinds.get("ocsp", [])) == 1 and len(kinds.get("crl", [])) == 1, kinds
out = subprocess.run(["openssl", "ocsp", "-respin", kinds["ocsp"][0], "-noverify", "-resp_text"],
                     check=True, capture_output=True, text=True).stdout
assert "Cert Status: good" in out, out
subprocess.run(["openssl", "crl", "-inform", "DER", "-in", kinds["crl"][0], "-noout"], check=True)
# what the report says each certificate was judged by is in the bundle
listed = {f["sha256"] for f in m["files"]}
for c in r["signatures"][0]["certificates"]:
    assert c["sha256"] in listed, c
    if c["evidence"]:
        assert c["evidence"]["sha256"] in listed, c
PY

# --- a frozen signer, online, with its bundle (a second after signing at least: times are
# whole seconds, and a hold in the signing's second would be "frozen at signing")
sleep 1.1
"$SEALSVC" --data "$DATA" ca freeze "$DATA/certs/pujiang.pem" >/dev/null
bidder 2 "$WORK/frozen-online.json" "$WORK/pujiang.pdf" --evidence-out "$WORK/ev-frozen"
expect_status "$WORK/frozen-online.json" INDETERMINATE REVOKED_NO_POE

# --- the responders gone: the bundle reproduces both verdicts, offline
stop_responders
bidder 0 "$WORK/offline.json" "$WORK/xinghe.pdf" --offline --evidence "$WORK/ev"
same_verdict "$WORK/online.json" "$WORK/offline.json"
bidder 2 "$WORK/frozen-offline.json" "$WORK/pujiang.pdf" --offline --evidence "$WORK/ev-frozen"
same_verdict "$WORK/frozen-online.json" "$WORK/frozen-offline.json"
# without it, nothing tells the status
bidder 2 "$WORK/none.json" "$WORK/xinghe.pdf" --offline
expect_status "$WORK/none.json" INDETERMINATE TRY_LATER
# nor with an OCSP response that is not the one the responder signed
cp -r "$WORK/ev" "$WORK/ev-bad"
ocsp=$(ls "$WORK"/ev-bad/*.ocsp)
python3 - "$ocsp" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[-20] ^= 0x01  # inside the responder's signature
open(sys.argv[1], "wb").write(data)
PY
bidder 2 "$WORK/bad.json" "$WORK/xinghe.pdf" --offline --evidence "$WORK/ev-bad"
expect_status "$WORK/bad.json" INDETERMINATE TRY_LATER

# --- a folder that holds something is refused and left as it was
before=$(ls -R "$WORK/ev" | sha256sum)
expect_exit 3 "$SEALSVC" verify "$WORK/xinghe.pdf" --trust "$ROOT" --offline --evidence "$WORK/ev" \
    --evidence-out "$WORK/ev"
grep -q "new or empty folder" "$WORK/err" || fail "a full folder: $(cat "$WORK/err")"
[ "$(ls -R "$WORK/ev" | sha256sum)" = "$before" ] || fail "a refused bundle changed the folder"
[ -z "$(ls -d "$WORK"/ev.partial-* 2>/dev/null)" ] || fail "a refused bundle left its partial folder"
echo "verify_evidence: verdicts reproduced offline from the bundle"
