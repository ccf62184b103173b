#!/usr/bin/env bash
# The seal picture's PDF streams are made once, when the seal is made, and kept in the store
# (table pdf_picture, schema version 3), so that a stamp copies them instead of decoding the
# PNG and compressing it again. Checked from outside: every seal's picture has its streams
# in sealsvc.db (inflated, they are the PNG's samples); a stamped PDF carries exactly those
# bytes; a seal without streams (as in a store migrated from version 2) gets its streams on
# first use, and stamps the same picture as a seal made today.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
SAMPLE="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
RSA=$(seal_of rsa id official); RSA_PIN=$(seal_of rsa pin official)

# check_streams DB [SEAL]: every seal's (or SEAL's) picture has streams, and they hold its
# pixels: RGB and alpha of the PNG (decoded with Python's zlib, not ours).
check_streams() {
    python3 - "$@" <<'PY'
import hashlib, sqlite3, struct, sys, zlib
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT id, image_png FROM seal" + (" WHERE id = ?" if len(sys.argv) > 2 else ""),
                  sys.argv[2:]).fetchall()
assert rows, "no seals"
for sid, png in rows:
    key = hashlib.sha256(png).digest()
    got = db.execute("SELECT width, height, rgb_z, alpha_z FROM pdf_picture WHERE png_sha256 = ?",
                     (key,)).fetchone()
    if not got:
        sys.exit("seal %s: no PDF streams for its picture" % sid)
    w, h = struct.unpack(">II", png[16:24])
    if (got[0], got[1]) != (w, h):
        sys.exit("seal %s: streams of %dx%d for a %dx%d picture" % (sid, got[0], got[1], w, h))
    if len(zlib.decompress(got[2])) != w * h * 3 or len(zlib.decompress(got[3])) != w * h:
        sys.exit("seal %s: the streams do not hold %dx%d samples" % (sid, w, h))
PY
}

# in_pdf DB SEAL PDF: the stamped PDF holds the stored streams byte for byte.
in_pdf() {
    python3 - "$@" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
png = db.execute("SELECT image_png FROM seal WHERE id = ?", (sys.argv[2],)).fetchone()[0]
rgb, alpha = db.execute("SELECT rgb_z, alpha_z FROM pdf_picture WHERE png_sha256 = ?",
                        (hashlib.sha256(png).digest(),)).fetchone()
pdf = open(sys.argv[3], "rb").read()
if rgb not in pdf or alpha not in pdf:
    sys.exit("the stamped PDF does not carry the stored picture streams")
PY
}

# --- made with the seal: every demo seal's picture has its streams
check_streams "$DATA/sealsvc.db" || fail "the demo seals' picture streams"
[ "$(sqlite3 "$DATA/sealsvc.db" "SELECT max(version) FROM schema_version")" = "$(schema_known "$DATA")" ] ||
    fail "a new store is not at the current schema version"

"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/new.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 >/dev/null
qpdf --check "$WORK/new.pdf" >/dev/null || fail "qpdf --check rejects the stamp"
in_pdf "$DATA/sealsvc.db" "$RSA" "$WORK/new.pdf" || fail "a stamp with a new seal"

# --- a store migrated from schema version 2: its seals have no streams; the first stamp
# makes and keeps them (the migration of version 3 makes the table empty)
cp -r "$DATA" "$WORK/v2"
sqlite3 "$WORK/v2/sealsvc.db" "DELETE FROM pdf_picture;"
"$SEALSVC" --data "$WORK/v2" stamp "$SAMPLE" "$WORK/old.pdf" --seal "$RSA" --pin "$RSA_PIN" \
    --page 1 --at 100,100 >/dev/null 2>"$WORK/old.err" ||
    fail "a stamp with a seal without streams: $(cat "$WORK/old.err")"
[ "$(sqlite3 "$WORK/v2/sealsvc.db" "SELECT max(version) FROM schema_version")" = "$(schema_known "$WORK/v2")" ] ||
    fail "the store is not at the current version"
check_streams "$WORK/v2/sealsvc.db" "$RSA" || fail "the old seal's streams after its first stamp"
in_pdf "$WORK/v2/sealsvc.db" "$RSA" "$WORK/old.pdf" || fail "a stamp with an old seal"
qpdf --check "$WORK/old.pdf" >/dev/null || fail "qpdf --check rejects the old seal's stamp"

# The same picture either way, as Poppler draws it, and a seal is drawn where asked.
pdftoppm -r 50 -f 1 -l 1 -png "$WORK/new.pdf" "$WORK/new"
pdftoppm -r 50 -f 1 -l 1 -png "$WORK/old.pdf" "$WORK/old"
NEW=$(ls "$WORK"/new-*.png); OLD=$(ls "$WORK"/old-*.png)
cmp -s "$NEW" "$OLD" || fail "the old seal's stamp looks different from the new seal's"
read -r RED AREA < <(python3 "$SEAL_SOURCE_DIR/tests/integration/lib/redpixels.py" "$NEW" 50 \
    85 85 30 30)
[ "$RED" -gt $((AREA / 10)) ] || fail "no seal drawn at 100,100 ($RED red pixels of $AREA)"

echo "ok"
