#!/usr/bin/env bash
# Every PDF of the shared corpus either stamps or is refused with the specific error listed
# for it below, no output file and the input unchanged. A stamped file must start with the
# input's bytes, pass qpdf --check (no new warnings), keep the input's form fields beside
# the new one, show red on page 1, and be called valid, covering the whole file, by our
# verifier and by pdfsig. The encrypted ones (user password "usersecret", as in pyHanko's
# tests) are stamped with --password.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
if [ ! -d "${SEAL_CORPUS:-}/pdf" ]; then
    echo "SKIP: the shared corpus is not at ${SEAL_CORPUS:-<unset>}" >&2
    exit 77
fi
make_demo
make_nssdb
SEAL=$(seal_of ecdsa id official); PIN=$(seal_of ecdsa pin official)
# What each file that must be refused is refused for: damaged or illegal structure that
# only reads after repair, or a page without a size. Anything not listed must stamp.
expected_refusal() {
    case $1 in
    broken-objstream1) echo 'is damaged \(.*\); refusing to add an update to a file that only reads after repair' ;;
    circular-page-tree) echo 'the page tree cannot be read: .*Loop detected in /Pages' ;;
    minimal-illegal-header) echo 'has a malformed PDF header \(%PDF-X.Y\)' ;;
    minimal-startxref-obo1) echo 'startxref points at byte 564, where there is no cross-reference section' ;;
    no-mediabox) echo 'page 1 has no valid /MediaBox' ;;
    page-tree-direct-kid) echo 'is damaged \(kid 1 \(from 0\) is direct.*\); refusing to add an update' ;;
    *) echo '' ;;
    esac
}
fields() { # PDF [QPDF-ARGS...]: the form fields' full names, as qpdf reads them
    local pdf=$1
    shift
    qpdf "$@" --json --json-key=acroform "$pdf" |
        python3 -c 'import json,sys; print(" ".join(f["fullname"] for f in json.load(sys.stdin)["acroform"]["fields"]))'
}
stamped=0 refused=0 files=0
for src in "$SEAL_CORPUS"/pdf/*.pdf; do
    files=$((files + 1))
    name=$(basename "$src" .pdf)
    password=()
    upw=()
    qpw=()
    case $name in minimal-rc4 | minimal-aes256)
        password=(--password usersecret)
        upw=(-upw usersecret)
        qpw=(--password=usersecret)
        ;;
    esac
    want_refusal=$(expected_refusal "$name")
    cp "$src" "$WORK/$name.in.pdf"
    before=$(sha "$WORK/$name.in.pdf")
    set +e
    "$SEALSVC" --data "$DATA" stamp "$WORK/$name.in.pdf" "$WORK/$name.out.pdf" --seal "$SEAL" \
        --pin "$PIN" --page 1 --at 30,30 "${password[@]}" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -e
    [ "$(sha "$WORK/$name.in.pdf")" = "$before" ] || fail "$name: the input changed"
    if [ $rc = 0 ]; then
        [ -z "$want_refusal" ] || fail "$name: stamped, but it must be refused (/$want_refusal/)"
        # qpdf --check must pass, or (for an input that already draws warnings, like the
        # SafeDocs syntax test) warn about nothing the input did not already have.
        if ! qpdf --password=usersecret --check "$WORK/$name.out.pdf" >"$WORK/qpdf.txt" 2>&1; then
            qpdf --password=usersecret --check "$WORK/$name.in.pdf" >"$WORK/qpdf-in.txt" 2>&1 &&
                fail "$name: qpdf --check rejects our output: $(tail -3 "$WORK/qpdf.txt")"
            new_warnings=$(grep WARNING "$WORK/qpdf.txt" | sed 's/^WARNING: [^ ]*//' | sort -u |
                comm -23 - <(grep WARNING "$WORK/qpdf-in.txt" | sed 's/^WARNING: [^ ]*//' | sort -u))
            [ -z "$new_warnings" ] || fail "$name: qpdf --check finds new problems: $new_warnings"
        fi
        cmp -s -n "$(stat -c %s "$WORK/$name.in.pdf")" "$WORK/$name.in.pdf" "$WORK/$name.out.pdf" ||
            fail "$name: the output does not start with the input's bytes"
        before=$(fields "$WORK/$name.in.pdf" "${qpw[@]}")
        after=$(fields "$WORK/$name.out.pdf" "${qpw[@]}")
        [ "$after" = "${before:+$before }Seal1" ] ||
            fail "$name: the form fields were '$before', now '$after'"
        rm -f "$WORK"/page-*.ppm
        pdftoppm -r 50 -f 1 -l 1 "${upw[@]}" "$WORK/$name.out.pdf" "$WORK/page"
        [ "$($PDFTOOL redbox "$(ls "$WORK"/page-*.ppm)" 50)" != none ] ||
            fail "$name: no seal is drawn on page 1"
        "$SEALSVC" --data "$DATA" verify --json "$WORK/$name.out.pdf" "${password[@]}" >"$WORK/verify.json" ||
            fail "$name: our verifier rejects our output: $(cat "$WORK/verify.json")"
        python3 - "$WORK/verify.json" <<'PY' || fail "$name: our verifier's report: $(cat "$WORK/verify.json")"
import json, sys
sigs = json.load(open(sys.argv[1]))["signatures"]
ours = sigs[-1]
assert ours["field"] == "Seal1" and ours["verdict"] == "VALID", ours
assert ours["coverage"] == "entire file" and ours["page"] == 1 and ours["visible"], ours
PY
        pdfsig -nssdir "sql:$NSSDB" -no-ocsp "${upw[@]}" "$WORK/$name.out.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
        python3 - "$WORK/pdfsig.txt" <<'PY' || fail "$name: pdfsig does not accept our signature: $(cat "$WORK/pdfsig.txt")"
import re, sys
ours = re.split(r'^Signature #\d+:$', open(sys.argv[1]).read(), flags=re.M)[-1]
assert 'Signature Field Name: Seal1' in ours and 'Signature is Valid' in ours, ours
assert 'Total document signed' in ours, ours
PY
        echo "$name: stamped and verified"
        stamped=$((stamped + 1))
    elif [ $rc = 3 ]; then
        [ ! -e "$WORK/$name.out.pdf" ] || fail "$name: refused but an output file exists"
        ! ls "$WORK" | grep -q '\.tmp' || fail "$name: refused but a temporary file was left"
        [ -n "$want_refusal" ] || fail "$name: refused, but it should stamp: $(cat "$WORK/err")"
        grep -qE "$want_refusal" "$WORK/err" ||
            fail "$name: refused for another reason than /$want_refusal/: $(cat "$WORK/err")"
        echo "$name: refused: $(cat "$WORK/err")"
        refused=$((refused + 1))
    else
        fail "$name: exit $rc (crash?): $(cat "$WORK/err")"
    fi
done
echo "corpus_pdf: $files files: $stamped stamped, $refused refused"
[ $((stamped + refused)) = "$files" ] || fail "not every corpus file was stamped or refused"
[ $stamped -ge 12 ] || fail "fewer corpus files stamp than expected"
[ $refused = 6 ] || fail "the six files listed above must be refused, $refused were"
