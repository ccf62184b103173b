#!/usr/bin/env bash
# The demo: installs what is needed, builds sealsvc, makes a demo platform (SQLite store,
# demo PKI, six seals) in demo/, stamps the sample contract (PDF) with two institutions'
# seals and the sample notice (OFD) with an SM2 and an RSA seal, verifies the results, and
# renders the sealed pages to PNG (and the sealed OFD to PDF), then serves the HTTP API
# (`sealsvc serve` on 127.0.0.1:8080, or $SEALSVC_DEMO_PORT) with curl lines to try, until
# Ctrl-C. Run it again to stamp again with the same platform.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
SEALSVC=$PWD/build/sealsvc/sealsvc
DEMO=$PWD/demo
mkdir -p "$DEMO/out"

if [ ! -f "$DEMO/platform/sealsvc.db" ]; then
    "$SEALSVC" demo init --dir "$DEMO/platform" >"$DEMO/manifest.json"
fi
field() { # ALGORITHM KIND FIELD
    python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["seals"]:
    if s["algorithm"] == sys.argv[2] and s["type"] == sys.argv[3]:
        print(s[sys.argv[4]]); break' "$DEMO/manifest.json" "$1" "$2" "$3"
}
export SEALSVC_DATA="$DEMO/platform"

IN=samples/contract-zh.pdf
HALF="$DEMO/out/contract-zh.party-a.pdf"
OUT="$DEMO/out/contract-zh.sealed.pdf"
SEALSVC_PIN=$(field rsa contract pin) "$SEALSVC" stamp "$IN" "$HALF" \
    --seal "$(field rsa contract id)" --page 3 --at 50,72 --reason "甲方签章"
SEALSVC_PIN=$(field ecdsa official pin) "$SEALSVC" stamp "$HALF" "$OUT" \
    --seal "$(field ecdsa official id)" --page 3 --at 135,72 --reason "乙方签章"
SEALSVC_PIN=$(field sm2 official pin) "$SEALSVC" stamp "$IN" "$DEMO/out/contract-zh.sm2.pdf" \
    --seal "$(field sm2 official id)" --page 1 --at 160,40

echo
"$SEALSVC" verify "$OUT" | tee "$DEMO/out/contract-zh.sealed.report.txt"
"$SEALSVC" verify "$OUT" --json >"$DEMO/out/contract-zh.sealed.report.json"
"$SEALSVC" verify "$DEMO/out/contract-zh.sm2.pdf" >"$DEMO/out/contract-zh.sm2.report.txt"
pdftoppm -r 60 -f 3 -l 3 -png "$OUT" "$DEMO/out/contract-zh.sealed.page"

# The OFD notice: the SM2 official seal (a GB/T 38540 Type=Seal signature) on the keyword
# of the last page, then an RSA seal (a CMS Type=Sign signature) at a point beside it.
OFD_IN=samples/notice-zh.ofd
OFD_HALF="$DEMO/out/notice-zh.sm2.ofd"
OFD_OUT="$DEMO/out/notice-zh.sealed.ofd"
SEALSVC_PIN=$(field sm2 official pin) "$SEALSVC" stamp "$OFD_IN" "$OFD_HALF" \
    --seal "$(field sm2 official id)" --keyword "盖章处：" --pages 3
SEALSVC_PIN=$(field rsa official pin) "$SEALSVC" stamp "$OFD_HALF" "$OFD_OUT" \
    --seal "$(field rsa official id)" --page 3 --at 70,110
echo
# Both seals must verify VALID: the data directory gives the trust anchor, the issuing CA
# (a GB/T 38540 signature carries the signer's certificate alone) and the CA's CRLs.
set +e
"$SEALSVC" verify "$OFD_OUT" | tee "$DEMO/out/notice-zh.sealed.report.txt"
verdict=${PIPESTATUS[0]}
set -e
if [ "$verdict" -ne 0 ]; then
    echo "demo: the sealed OFD does not verify (exit $verdict)" >&2
    exit 1
fi
"$SEALSVC" verify "$OFD_OUT" --json >"$DEMO/out/notice-zh.sealed.report.json" || true
"$SEALSVC" render "$OFD_OUT" --page 3 --dpi 60 -o "$DEMO/out/notice-zh.sealed.page-3.png" >/dev/null
"$SEALSVC" render "$OFD_OUT" -o "$DEMO/out/notice-zh.sealed.pdf" >/dev/null

cat <<TXT

Done. Where to look:
  $DEMO/manifest.json                  the demo platform: trust anchor, seals and their PINs
  $DEMO/platform/seals/                 the seal images (.png) and GB/T 38540 seals (.esl)
  $OUT      the contract with two seals (open it in any PDF viewer)
  $DEMO/out/*.report.txt / .json      the verification reports
  $DEMO/out/contract-zh.sealed.page-3.png   page 3 as rendered by Poppler
  $OFD_OUT     the notice (OFD) with an SM2 and an RSA seal
  $DEMO/out/notice-zh.sealed.page-3.png     its page 3 as sealsvc renders it
  $DEMO/out/notice-zh.sealed.pdf            the sealed notice as a PDF (sealsvc render)
Try:  $SEALSVC verify $OUT --json
      pdfsig $OUT
      $SEALSVC --data $DEMO/platform verify $OFD_OUT
      $SEALSVC --data $DEMO/platform audit list --document $OUT   (which stamp made it)
      $SEALSVC --data $DEMO/platform audit verify                 (the trail is intact)
TXT

# The HTTP API on the same platform, with the demo's API key (in the manifest).
PORT=${SEALSVC_DEMO_PORT:-8080}
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("api_key", {}).get("key", ""))' \
    "$DEMO/manifest.json")
if [ -z "$KEY" ]; then # a platform made before the demo made a key
    KEY=$("$SEALSVC" apikey create --role admin --label demo 2>/dev/null)
fi
URL=http://127.0.0.1:$PORT
DESK=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])).get("desk")
print("login %s (%s), password %s" % (d["login"], d["name"], d["password"]) if d else "")' "$DEMO/manifest.json")
cat <<TXT

In a browser:
  $URL/verify/   the public verification page (drop a sealed PDF or OFD on it)
  $URL/desk/     the clerk desk${DESK:+: $DESK}
Now the HTTP API (docs/api.md), on $URL with the demo's API key; in another terminal:
  curl -s -H 'Authorization: Bearer $KEY' $URL/api/v1/seals
  curl -s -o /tmp/sealed.pdf -H 'Authorization: Bearer $KEY' -F file=@$PWD/$IN \\
       -F seal=$(field rsa official id) -F pin=$(field rsa official pin) -F keyword=甲方（盖章） $URL/api/v1/stamp
  curl -s -F file=@/tmp/sealed.pdf $URL/api/v1/verify
Ctrl-C stops it.
TXT
exec "$SEALSVC" serve --listen "127.0.0.1:$PORT"
