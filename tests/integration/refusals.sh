#!/usr/bin/env bash
# Bad input gets a clear error, exit 3, no output file, and the input left untouched:
# wrong PIN, unknown seal, missing page, output = input, damaged PDFs, a missing or wrong
# PDF password.
# And a tampered stamped file is reported invalid.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

make_demo
SEAL=$(seal_of rsa id official); PIN=$(seal_of rsa pin official)
SAMPLE="$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$SAMPLE"
BEFORE=$(sha "$SAMPLE")

refused() { # EXPECTED-MESSAGE-REGEX ARGS...
    local want=$1
    shift
    rm -f "$WORK/out.pdf"
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$@"
    grep -qE "$want" "$WORK/err" || fail "message '$(cat "$WORK/err")' does not match '$want'"
    [ ! -e "$WORK/out.pdf" ] || fail "an output file was left behind"
    ls "$WORK" | grep -q '\.tmp' && fail "a temporary file was left behind"
    [ "$(sha "$SAMPLE")" = "$BEFORE" ] || fail "the input changed"
    true
}

refused 'wrong PIN' "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin 000000x --at 50,50
grep -q 000000x "$WORK/err" && fail "the wrong PIN was echoed in the message"
refused 'no seal|not found|does not exist' "$SAMPLE" "$WORK/out.pdf" --seal no-such-seal \
    --pin "$PIN" --at 50,50
refused 'page 9 does not exist \(document has 3 pages\)' "$SAMPLE" "$WORK/out.pdf" \
    --seal "$SEAL" --pin "$PIN" --page 9 --at 50,50
refused 'outside the page' "$SAMPLE" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at 500,50
expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$SAMPLE" --seal "$SEAL" --pin "$PIN" --at 50,50
grep -q 'not the input' "$WORK/err" || fail "stamping onto the input is not refused clearly"
[ "$(sha "$SAMPLE")" = "$BEFORE" ] || fail "the input changed"

head -c 3000 "$SAMPLE" >"$WORK/truncated.pdf"
refused 'startxref|truncated|damaged' "$WORK/truncated.pdf" "$WORK/out.pdf" --seal "$SEAL" \
    --pin "$PIN" --at 50,50
printf 'this is not a pdf\n' >"$WORK/garbage.pdf"
refused 'PDF header' "$WORK/garbage.pdf" "$WORK/out.pdf" --seal "$SEAL" --pin "$PIN" --at 50,50
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

# tampering: one byte changed inside the signed range is invalid
cp "$WORK/ok.pdf" "$WORK/tampered.pdf"
$PDFTOOL flip "$WORK/tampered.pdf" 2000
expect_exit 1 "$SEALSVC" --data "$DATA" verify "$WORK/tampered.pdf"
grep -qi 'HASH_FAILURE\|digest' "$WORK/out" || fail "tampering is not reported as a digest failure"
"$SEALSVC" --data "$DATA" verify "$WORK/ok.pdf" >/dev/null || fail "the untampered copy does not verify"
echo "refusals: all checks passed"
