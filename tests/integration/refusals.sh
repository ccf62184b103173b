#!/usr/bin/env bash
# Bad input gets a clear error, exit 3 (64 for a usage error), no output file (nor a
# temporary one beside it), and the input left untouched: wrong PIN, unknown seal, a page
# that does not exist, positions off the page, output = input (by another path, a symbolic
# or a hard link), an output in a directory that does not exist, an empty file, a
# directory, a file that is not a PDF, damaged PDFs (truncated; an object not where the
# cross-reference says), a missing or wrong PDF password.
# And a tampered stamped file is reported invalid.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SAMPLE="$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$SAMPLE"
BEFORE=$(sha "$SAMPLE")

refused_with() { # EXIT EXPECTED-MESSAGE-REGEX ARGS...
    local code=$1 want=$2
    shift 2
    rm -f "$WORK/out.pdf"
    expect_exit "$code" "$SEALSVC" --data "$DATA" stamp "$@"
    grep -qE -- "$want" "$WORK/err" || fail "message '$(cat "$WORK/err")' does not match '$want'"
    [ ! -e "$WORK/out.pdf" ] || fail "an output file was left behind"
    ls "$WORK" | grep -q '\.tmp' && fail "a temporary file was left behind"
    [ "$(sha "$SAMPLE")" = "$BEFORE" ] || fail "the input changed"
    true
}
refused() { # EXPECTED-MESSAGE-REGEX ARGS...
    refused_with 3 "$@"
}

refused 'wrong PIN' "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin 000000x --at 50,50
grep -q 000000x "$WORK/err" && fail "the wrong PIN was echoed in the message"
refused 'no seal|not found|does not exist' "$SAMPLE" "$WORK/out.pdf" --seal no-such-seal \
    --pin "$PIN" --at 50,50
refused 'page 9 does not exist \(document has 3 pages\)' "$SAMPLE" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --page 9 --at 50,50
# positions: the seal's centre must be on the page as shown (A4: 210 x 297 mm)
for at in 500,50 -5,10 10,-5 210.5,10 10,297.5; do
    refused "page 1: position ${at%,*}(\.0)?,${at#*,}(\.0)? mm is outside the page \(210.0 x 297.0 mm as shown\)" \
        "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at "$at"
done
refused 'page 3: position 10.0,300.0 mm is outside the page' "$SAMPLE" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --page 3 --at 10,300
for at in 0x10,5 nan,5 5,inf 5 5,5,5 ' 5,5' 5,5mm; do
    refused_with 64 "--at wants X,Y in millimetres" "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" \
        --pin "$PIN" --at "$at"
done
for page in 0 -1 x; do
    refused_with 64 "--page wants a page number \(1 = first\), not '$page'" "$SAMPLE" \
        "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --page "$page" --at 50,50
done

# the output must be a new file: not the input by any name
ln -s "$SAMPLE" "$WORK/symlink.pdf"
ln "$SAMPLE" "$WORK/hardlink.pdf"
for same in "$SAMPLE" "$WORK/./in.pdf" "$WORK/symlink.pdf" "$WORK/hardlink.pdf"; do
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$same" --seal "$SEAL" --pin "$PIN" --at 50,50
    grep -q 'the output must be a new file, not the input' "$WORK/err" ||
        fail "stamping onto the input as $same is not refused clearly: $(cat "$WORK/err")"
    [ "$(sha "$SAMPLE")" = "$BEFORE" ] || fail "the input changed"
    ls "$WORK" | grep -q '\.tmp' && fail "a temporary file was left behind"
done
[ -L "$WORK/symlink.pdf" ] || fail "the symbolic link was replaced"
rm "$WORK/symlink.pdf" "$WORK/hardlink.pdf"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/no-such-dir/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50
grep -q "cannot create the output $WORK/no-such-dir/out.pdf: No such file or directory" "$WORK/err" ||
    fail "an output in a missing directory is not refused clearly: $(cat "$WORK/err")"
[ ! -e "$WORK/no-such-dir" ] || fail "the missing output directory was created"
mkdir "$WORK/outdir"
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/outdir" --seal "$SEAL" --pin "$PIN" --at 50,50
grep -q "cannot create $WORK/outdir: Is a directory" "$WORK/err" ||
    fail "an output that is a directory is not refused clearly: $(cat "$WORK/err")"
[ -z "$(ls -A "$WORK/outdir")" ] && ! ls "$WORK" | grep -q '\.tmp' || fail "a temporary file was left behind"
rmdir "$WORK/outdir"

# inputs that are not PDFs
refused 'cannot open .*/missing.pdf: No such file or directory' "$WORK/missing.pdf" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --at 50,50
: >"$WORK/empty.pdf"
refused 'empty.pdf is empty' "$WORK/empty.pdf" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at 50,50
mkdir "$WORK/folder.pdf"
refused 'folder.pdf is not a regular file' "$WORK/folder.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50

head -c 3000 "$SAMPLE" >"$WORK/truncated.pdf"
refused 'startxref|truncated|damaged' "$WORK/truncated.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50
printf 'this is not a pdf\n' >"$WORK/garbage.pdf"
refused 'garbage.pdf is neither a PDF nor an OFD document' "$WORK/garbage.pdf" \
    "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at 50,50
qpdf --encrypt user owner 256 -- "$SAMPLE" "$WORK/locked.pdf"
refused 'protected by a password: give it with --password' "$WORK/locked.pdf" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --at 50,50
refused 'the password given does not open' "$WORK/locked.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50 --password wrong

# four wrong PINs leave the seal usable (a right PIN resets the count); five lock it
for i in 1 2 3 4; do
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin bad$i --at 50,50
done
"$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/ok.pdf" --seal "$SEAL" --pin "$PIN" --at 50,50 >/dev/null ||
    fail "the right PIN after 4 failures should still work"
LOCKME=$(seal_of ecdsa id official); LOCKME_PIN=$(seal_of ecdsa pin official)
for i in 1 2 3 4 5; do
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/out.pdf" --seal "$LOCKME" --pin bad$i --at 50,50
done
refused 'locked' "$SAMPLE" "$WORK/out.pdf" --seal "$LOCKME" --pin "$LOCKME_PIN" --at 50,50

# a sealed file whose AcroForm is not where its cross-reference says (its object number
# changed): qpdf reads it as null only when the stamper asks for it, long after opening.
# Stamping on it would write a new AcroForm without the first seal's field.
cp "$WORK/ok.pdf" "$WORK/damaged.pdf"
root=$(qpdf --show-object=trailer "$WORK/ok.pdf" | sed -n 's|.*/Root \([0-9]*\) 0 R.*|\1|p')
acroform=$(qpdf --show-object="$root" "$WORK/ok.pdf" | sed -n 's|.*/AcroForm \([0-9]*\) 0 R.*|\1|p')
[ -n "$acroform" ] || fail "the sealed file has no AcroForm object"
$PDFTOOL misnumber "$WORK/damaged.pdf" "$acroform" >/dev/null
cp "$WORK/damaged.pdf" "$WORK/in-damaged.pdf"
SAMPLE="$WORK/in-damaged.pdf" BEFORE=$(sha "$WORK/in-damaged.pdf")
refused "in-damaged.pdf is damaged \(expected $acroform 0 obj\); refusing to add an update to a file that only reads after repair" \
    "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at 150,50
SAMPLE="$WORK/in.pdf" BEFORE=$(sha "$WORK/in.pdf")

# tampering: one byte changed inside the signed range is invalid
cp "$WORK/ok.pdf" "$WORK/tampered.pdf"
$PDFTOOL flip "$WORK/tampered.pdf" 2000
expect_exit 1 "$SEALSVC" --data "$DATA" verify "$WORK/tampered.pdf"
grep -qi 'HASH_FAILURE\|digest' "$WORK/out" || fail "tampering is not reported as a digest failure"
"$SEALSVC" --data "$DATA" verify "$WORK/ok.pdf" >/dev/null || fail "the untampered copy does not verify"
echo "refusals: all checks passed"
