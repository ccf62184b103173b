#!/usr/bin/env bash
# Every PDF of the shared corpus either stamps (and then passes qpdf --check, our verifier
# and pdfsig) or is refused with a specific error, no output file and the input unchanged.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
if [ ! -d "${SEAL_CORPUS:-}/pdf" ]; then
    echo "SKIP: the shared corpus is not at ${SEAL_CORPUS:-<unset>}" >&2
    exit 77
fi
make_demo
make_nssdb
SEAL=$(seal_of ecdsa id official); PIN=$(seal_of ecdsa pin official)
stamped=0 refused=0
for src in "$SEAL_CORPUS"/pdf/*.pdf; do
    name=$(basename "$src" .pdf)
    cp "$src" "$WORK/$name.in.pdf"
    before=$(sha "$WORK/$name.in.pdf")
    set +e
    "$SEALSVC" --data "$DATA" stamp "$WORK/$name.in.pdf" "$WORK/$name.out.pdf" --seal "$SEAL" \
        --pin "$PIN" --page 1 --at 30,30 >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -e
    [ "$(sha "$WORK/$name.in.pdf")" = "$before" ] || fail "$name: the input changed"
    if [ $rc = 0 ]; then
        # qpdf --check must pass, or (for an input that already draws warnings, like the
        # SafeDocs syntax test) warn about nothing the input did not already have.
        if ! qpdf --check "$WORK/$name.out.pdf" >"$WORK/qpdf.txt" 2>&1; then
            qpdf --check "$WORK/$name.in.pdf" >"$WORK/qpdf-in.txt" 2>&1 &&
                fail "$name: qpdf --check rejects our output: $(tail -3 "$WORK/qpdf.txt")"
            new_warnings=$(grep WARNING "$WORK/qpdf.txt" | sed 's/^WARNING: [^ ]*//' | sort -u |
                comm -23 - <(grep WARNING "$WORK/qpdf-in.txt" | sed 's/^WARNING: [^ ]*//' | sort -u))
            [ -z "$new_warnings" ] || fail "$name: qpdf --check finds new problems: $new_warnings"
        fi
        "$SEALSVC" --data "$DATA" verify "$WORK/$name.out.pdf" >"$WORK/verify.txt" ||
            fail "$name: our verifier rejects our output: $(cat "$WORK/verify.txt")"
        pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$WORK/$name.out.pdf" >"$WORK/pdfsig.txt" 2>&1 || true
        grep -q 'Signature is Valid' "$WORK/pdfsig.txt" ||
            fail "$name: pdfsig does not accept our signature: $(cat "$WORK/pdfsig.txt")"
        echo "$name: stamped and verified"
        stamped=$((stamped + 1))
    elif [ $rc = 3 ]; then
        [ ! -e "$WORK/$name.out.pdf" ] || fail "$name: refused but an output file exists"
        grep -q 'error' "$WORK/err" || fail "$name: refused without a message"
        echo "$name: refused: $(cat "$WORK/err")"
        refused=$((refused + 1))
    else
        fail "$name: exit $rc (crash?): $(cat "$WORK/err")"
    fi
done
echo "corpus_pdf: $stamped stamped, $refused refused"
[ $stamped -ge 8 ] || fail "fewer corpus files stamp than expected"
