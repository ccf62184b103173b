#!/usr/bin/env bash
# `sealsvc verify` on PDFs sealed three times (RSA, ECDSA, SM2), as a user reads it: per
# signature the coverage, the signer and seal names, page and rectangle, the claimed and
# unproven signing time, each check; --json; --trust given several times; exit codes 0
# valid, 1 invalid, 2 indeterminate (no trust anchor, an unrelated one, no revocation
# evidence), 3 not a PDF. Then tampering: one byte changed at many places (the first
# revision, each update before, inside and after /Contents, the ByteRange, the trailer)
# is never VALID, a page appended in a later update is reported as a modification, and
# bytes appended that are no update are named as such and leave the document not VALID.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
# The published CRLs as a relying party gets them: files (ca crl --current).
mkdir -p "$WORK/crl"
for ca in root-ca issuing-ca; do
    "$SEALSVC" --data "$DATA" ca crl --current --ca "$ca" -o "$WORK/crl/$ca.crl" || fail "ca crl --current --ca $ca"
done
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)
EC=$(seal_of ecdsa id official); EC_PIN=$(seal_of ecdsa pin official)
SM2=$(seal_of sm2 id official); SM2_PIN=$(seal_of sm2 pin official)

started=$(date -u +%s)
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/one.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 50,60 >/dev/null
"$SEALSVC" --data "$DATA" stamp "$WORK/one.pdf" "$WORK/two.pdf" --seal "$EC" --pin "$EC_PIN" \
    --page 2 --at 100,100 >/dev/null
"$SEALSVC" --data "$DATA" stamp "$WORK/two.pdf" "$WORK/three.pdf" --seal "$SM2" --pin "$SM2_PIN" \
    --page 3 --at 150,250 >/dev/null
finished=$(date -u +%s)

# --- the report -----------------------------------------------------------------------
"$SEALSVC" --data "$DATA" verify "$WORK/three.pdf" --json >"$WORK/three.json" ||
    fail "three.pdf does not verify: $(cat "$WORK/three.json")"
python3 - "$WORK/three.json" "$WORK/manifest.json" "$WORK/three.pdf" "$started" "$finished" \
    "$RSA" "$EC" "$SM2" <<'PY' || fail "the JSON report is not what a user needs"
import calendar, json, re, sys, time
r = json.load(open(sys.argv[1]))
seals = {s["id"]: s for s in json.load(open(sys.argv[2]))["seals"]}
size = len(open(sys.argv[3], 'rb').read())
started, finished = int(sys.argv[4]), int(sys.argv[5])
ids = sys.argv[6:9]
assert r["format"] == "pdf" and r["verdict"] == "VALID" and r["reason"] is None, r
sigs = r["signatures"]
assert [s["field"] for s in sigs] == ["Seal1", "Seal2", "Seal3"], [s["field"] for s in sigs]
mm = 72 / 25.4
placements = [(1, 50, 60), (2, 100, 100), (3, 150, 250)]
for i, (s, seal_id, (page, x, y)) in enumerate(zip(sigs, ids, placements)):
    seal = seals[seal_id]
    assert s["verdict"] == "VALID" and s["kind"] == "pades", s
    assert s["algorithm"] == seal["algorithm"], (s["algorithm"], seal)
    assert s["digest"] == ("sm3" if seal["algorithm"] == "sm2" else "sha256"), s["digest"]
    assert s["signer"]["name"] == seal["owner"], (s["signer"], seal["owner"])
    assert s["signer"]["issuer"].startswith("CN=sealsvc Demo Issuing CA"), s["signer"]
    assert re.fullmatch(r"[0-9a-f]+", s["signer"]["serial"]), s["signer"]
    assert s["seal"] == seal["name"], (s["seal"], seal["name"])
    # the claimed time, between the start and the end of the stamping, and said to be
    # unproven (no timestamp)
    t = calendar.timegm(time.strptime(s["signing_time"], "%Y-%m-%dT%H:%M:%SZ"))
    assert started - 1 <= t <= finished + 1, (s["signing_time"], started, finished)
    assert "not proven" in s["time_source"] and "/M" in s["time_source"], s["time_source"]
    # coverage: the last signature the whole file, the others their whole revision
    want = "entire file" if i == 2 else "entire revision"
    assert s["coverage"] == want, (s["field"], s["coverage"])
    # page and rectangle ([llx lly urx ury] in points) centred where --at put the seal
    assert s["visible"] and s["page"] == page, s
    llx, lly, urx, ury = s["rect"]
    assert abs((llx + urx) / 2 - x * mm) < 0.5 and abs((lly + ury) / 2 - (841.89 - y * mm)) < 0.5, s["rect"]
    assert abs(urx - llx - 42 * mm) < 0.5 and abs(ury - lly - 42 * mm) < 0.5, s["rect"]
    assert s["widgets"] == [{"page": page, "rect": s["rect"]}], s["widgets"]
    checks = {}
    for c in s["checks"]:
        checks.setdefault(c["name"], []).append(c)
    for name in ("byte-range", "contents", "digest", "signature", "signing-cert", "chain",
                 "revocation"):
        assert name in checks and all(c["outcome"] == "VALID" for c in checks[name]), (name, s)
    br = [int(v) for v in re.match(r"\[(\d+) (\d+) (\d+) (\d+)\]", checks["byte-range"][0]["detail"]).groups()]
    assert br[0] == 0, br
    if i == 2:
        assert br[2] + br[3] == size, (br, size)
        assert "changes" not in checks, s
    else:
        assert checks["changes"][0]["outcome"] == "VALID" and s["changes"] == [], s
PY
"$SEALSVC" --data "$DATA" verify "$WORK/three.pdf" >"$WORK/three.txt"
for want in 'Verdict: VALID' 'Signatures: 3' 'not proven: no timestamp' 'Covers:     entire file' \
    'Covers:     entire revision' 'Placement:  page 3, rectangle' 'Algorithm:  sm2 with sm3'; do
    grep -qF "$want" "$WORK/three.txt" || fail "the text report lacks '$want': $(cat "$WORK/three.txt")"
done

# --- trust anchors and exit codes -----------------------------------------------------
verdict() { # EXIT "VERDICT REASON" ARGS... (verify --json)
    local code=$1 want=$2
    shift 2
    expect_exit "$code" "$SEALSVC" verify --json "$@"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], r["reason"])' \
        "$WORK/out" >"$WORK/verdict"
    [ "$(cat "$WORK/verdict")" = "$want" ] ||
        fail "verify $*: $(cat "$WORK/verdict"), expected $want"
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/other.key" \
    -out "$WORK/other-root.pem" -subj "/CN=Unrelated Root" -days 30 2>/dev/null
# No anchor at all (no --data, no --trust), or only an unrelated one: indeterminate.
verdict 2 "INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND" "$WORK/two.pdf" --offline
verdict 2 "INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND" "$WORK/two.pdf" --offline \
    --trust "$WORK/other-root.pem" --evidence "$WORK/crl"
# --trust given twice, the demo root second or first: both are anchors.
verdict 0 "VALID None" "$WORK/two.pdf" --offline --trust "$WORK/other-root.pem" \
    --trust "$ROOT_PEM" --evidence "$WORK/crl"
verdict 0 "VALID None" "$WORK/two.pdf" --offline --trust "$ROOT_PEM" \
    --trust "$WORK/other-root.pem" --evidence "$WORK/crl"
# The right anchor but no revocation evidence offline: indeterminate, never valid.
verdict 2 "INDETERMINATE TRY_LATER" "$WORK/two.pdf" --offline --trust "$ROOT_PEM"
# Not a PDF: exit 3 with the reason.
: >"$WORK/empty.pdf"
mkdir "$WORK/folder.pdf"
for bad in "$DATA/seals/$RSA.png:neither a PDF nor an OFD document" \
    "$WORK/empty.pdf:neither a PDF nor an OFD document" \
    "$WORK/folder.pdf:neither a PDF nor an OFD document" \
    "$WORK/missing.pdf:cannot open $WORK/missing.pdf"; do
    expect_exit 3 "$SEALSVC" --data "$DATA" verify "${bad%%:*}"
    grep -qF "${bad#*:}" "$WORK/err" || fail "verify ${bad%%:*}: $(cat "$WORK/err")"
done
# An unsigned PDF: indeterminate, no signature.
verdict 2 "INDETERMINATE NO_SIGNATURE" "$SAMPLE" --offline

# --- tampering: one byte changed --------------------------------------------------------
# Offsets in three.pdf: the first revision, each update, and around the last signature's
# /Contents; the exit code expected and the last signature's reason (none: any INVALID).
python3 - "$WORK/three.pdf" >"$WORK/positions" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
ranges = [[int(v) for v in m.groups()] for m in
          re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', data)]
first_end = ranges[0][1]                      # '<' of the first signature's /Contents
first_rev_end = data.index(b'%%EOF') + 5     # end of the sample's own revision
a, b, c, d = ranges[2][0:4]                  # the last signature: [0, b) and [c, c + d)
gap = data[b + 1:c - 1]
cms_hex = len(gap.rstrip(b'0'))
last_sig_dict = data.rindex(b'/Type /Sig', 0, b)
br_digit = data.index(b'/ByteRange', last_sig_dict) + len(b'/ByteRange [0 ')
positions = [
    ('the PDF version', 7, 1, 'HASH_FAILURE'),
    ('the first revision, inside a stream', first_rev_end // 2, 1, 'HASH_FAILURE'),
    ('the end of the first revision', first_rev_end - 2, 1, 'HASH_FAILURE'),
    ("the first update's signature dictionary", ranges[0][1] - 40, 1, 'HASH_FAILURE'),
    ("the first update after /Contents", ranges[0][2] + 10, 1, 'HASH_FAILURE'),
    ("the second update after /Contents", ranges[1][2] + 200, 1, 'HASH_FAILURE'),
    ("the last signature dictionary's /Filter", data.index(b'/Adobe.PPKLite', last_sig_dict) + 3, 1, 'HASH_FAILURE'),
    ("the last /ByteRange", br_digit, 1, 'FORMAT_FAILURE'),
    ("the last /Contents' '<'", b, 1, 'FORMAT_FAILURE'),
    ("the last CMS, its first byte", b + 1, 1, None),
    ("the last CMS, in the middle", b + 1 + cms_hex // 2, 1, None),
    ("the last CMS, its last byte", b + cms_hex, 1, None),
    ("the last /Contents' zero padding", b + 1 + cms_hex + 100, 1, 'FORMAT_FAILURE'),
    ("the last /Contents' '>'", c - 1, 1, 'FORMAT_FAILURE'),
    ("the last widget", data.index(b'/Widget', c) + 3, 1, 'HASH_FAILURE'),
    ('the last byte of the file', len(data) - 1, 1, 'HASH_FAILURE'),
]
for name, offset, code, reason in positions:
    print('%d|%d|%s|%s' % (offset, code, reason or '', name))
PY
while IFS='|' read -r offset code reason name; do
    cp "$WORK/three.pdf" "$WORK/tampered.pdf"
    $PDFTOOL flip "$WORK/tampered.pdf" "$offset"
    expect_exit "$code" "$SEALSVC" --data "$DATA" verify --json "$WORK/tampered.pdf"
    python3 - "$WORK/out" "$reason" <<'PY' || fail "a byte changed in $name (offset $offset)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "INVALID", r["verdict"]
# the last signature covers every byte: it is invalid, for the reason expected
last = r["signatures"][-1]
assert last["verdict"] == "INVALID", last
assert not sys.argv[2] or last["reason"] == sys.argv[2], last["reason"]
PY
    echo "tampered in $name (offset $offset): $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], r["reason"], "/ last signature:", r["signatures"][-1]["reason"])' "$WORK/out")"
done <"$WORK/positions"

# Damage that leaves the structure unreadable: no verdict (exit 3, "damaged"), never VALID.
# The last signature dictionary renumbered: a reader no longer finds the third signature,
# but still shows its field's appearance, which no signature vouches for then (INVALID,
# the sneaky-signature line of pdf_attacks.sh). The last cross-reference section, its
# startxref and its %%EOF: damaged.
sig3=$(python3 - "$WORK/three.pdf" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
print(re.findall(rb'(\d+) 0 obj', data[:data.rindex(b'/Type /Sig')])[-1].decode())
PY
)
cp "$WORK/three.pdf" "$WORK/damaged.pdf"
$PDFTOOL misnumber "$WORK/damaged.pdf" "$sig3" >/dev/null
expect_exit 1 "$SEALSVC" --data "$DATA" verify "$WORK/damaged.pdf"
grep -q "unsigned signature field 'Seal3' added whose appearance draws on page 3" "$WORK/out" ||
    fail "a renumbered signature dictionary: $(cat "$WORK/out")"
size=$(stat -c %s "$WORK/three.pdf")
for what in xref startxref %%EOF; do
    offset=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.rindex(sys.argv[2].encode()) + 1)' \
        "$WORK/three.pdf" "$what")
    cp "$WORK/three.pdf" "$WORK/damaged.pdf"
    $PDFTOOL flip "$WORK/damaged.pdf" "$offset"
    expect_exit 3 "$SEALSVC" --data "$DATA" verify "$WORK/damaged.pdf"
    grep -q 'damaged' "$WORK/err" || fail "a changed $what: $(cat "$WORK/err")"
done

# --- bytes appended after the last %%EOF that are no update: the last signature covers
# its entire revision, not the file, and the extra bytes make the document INDETERMINATE
# (nothing vouches for them; pdf_attacks.sh has the variants)
cp "$WORK/three.pdf" "$WORK/trailing.pdf"
printf '%% a comment after the end\n' >>"$WORK/trailing.pdf"
expect_exit 2 "$SEALSVC" --data "$DATA" verify --json "$WORK/trailing.pdf"
python3 - "$WORK/out" <<'PY' || fail "the report does not say what the trailing bytes are"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "INDETERMINATE", r["verdict"]
last = r["signatures"][-1]
assert last["coverage"] == "entire revision", last["coverage"]
changes = [c for c in last["checks"] if c["name"] == "changes"][0]
assert changes["detail"].startswith("26 byte(s) after the last revision are not an incremental update"), changes
PY

# --- a page appended in a later incremental update ------------------------------------
cp "$WORK/two.pdf" "$WORK/appended.pdf"
pages=$($PDFTOOL add-page "$WORK/appended.pdf")
[ "$pages" = 4 ] || fail "add-page made $pages pages"
qpdf --check "$WORK/appended.pdf" >/dev/null || fail "qpdf rejects the appended page"
[ "$(pdfinfo "$WORK/appended.pdf" | sed -n 's/^Pages: *//p')" = 4 ] || fail "pdfinfo does not see 4 pages"
expect_exit 1 "$SEALSVC" --data "$DATA" verify --json "$WORK/appended.pdf"
python3 - "$WORK/out" <<'PY' || fail "the appended page is not reported as a modification"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "INVALID" and r["reason"] == "MODIFIED_AFTER_SIGNING", (r["verdict"], r["reason"])
for s in r["signatures"]:
    assert s["coverage"] == "entire revision", s["coverage"]
    digest = [c for c in s["checks"] if c["name"] == "digest"][0]
    assert digest["outcome"] == "VALID", digest  # the signed bytes are intact...
    changes = [c for c in s["checks"] if c["name"] == "changes"][0]
    assert changes["outcome"] == "INVALID", changes  # ... but the document is not
    assert any("page 4 added" in c for c in s["changes"]), s["changes"]
    assert any("page tree" in c for c in s["changes"]), s["changes"]
PY
"$SEALSVC" --data "$DATA" verify "$WORK/appended.pdf" >"$WORK/appended.txt" || true
grep -q 'page 4 added' "$WORK/appended.txt" || fail "the text report does not name the new page"
echo "verify_pdf: all checks passed"
