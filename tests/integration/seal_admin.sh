#!/usr/bin/env bash
# An administrator's control of a seal: five wrong PINs lock it (a flag beside its
# lifecycle state; audited, the PIN never written down); `seal unlock` lets the right PIN
# stamp again and forgives the count; `seal lock` stops stamps until unlocked; `seal
# revoke` (cancel's older name) stops them for good. Each change
# names its user and reason in the audit trail, which stays intact; refusals exit 3 naming
# the seal's state, and an unknown seal is named.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
SEAL=$(seal_of ecdsa id official); PIN=$(seal_of ecdsa pin official)
SAMPLE="$WORK/in.pdf"
cp "$SEAL_SOURCE_DIR/samples/contract-zh.pdf" "$SAMPLE"

stamp_ok() { # OUT
    "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$1" --seal "$SEAL" --pin "$PIN" --at 50,50 \
        >/dev/null 2>"$WORK/stamp.err" || fail "a stamp with the right PIN failed: $(cat "$WORK/stamp.err")"
    "$SEALSVC" --data "$DATA" verify "$1" >"$WORK/v.txt" || fail "the stamp does not verify: $(cat "$WORK/v.txt")"
}
stamp_refused() { # MESSAGE-REGEX
    rm -f "$WORK/no.pdf"
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/no.pdf" --seal "$SEAL" --pin "$PIN" --at 50,50
    grep -qE "$1" "$WORK/err" || fail "stamp refusal '$(cat "$WORK/err")' does not match '$1'"
    [ ! -e "$WORK/no.pdf" ] || fail "a refused stamp left an output"
}
state_of() {
    "$SEALSVC" --data "$DATA" seal list | awk -F'\t' -v id="$SEAL" '$1 == id {print $NF}'
}
audit_about() {
    "$SEALSVC" --data "$DATA" audit list --target "seal:$SEAL" >"$WORK/audit.txt" || fail "audit list failed"
}

# Five wrong PINs: locked, and the lock is in the trail (by sealsvc), no PIN anywhere.
for i in 1 2 3 4 5; do
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/no.pdf" --seal "$SEAL" --pin "wrong$i" --at 50,50
done
[ "$(state_of)" = "active (locked)" ] || fail "five wrong PINs did not lock the seal: $(state_of)"
stamp_refused "seal $SEAL is locked after 5 wrong PINs; an administrator must unlock it"
audit_about
grep -Eq " lock +seal:$SEAL +locked: 5 wrong PINs in a row \(by sealsvc\)" "$WORK/audit.txt" ||
    fail "the lock is not audited: $(cat "$WORK/audit.txt")"
grep -q "wrong[1-5]\|$PIN" "$WORK/audit.txt" && fail "a PIN is in the audit trail"

# Unlock: the right PIN works again, the count is forgiven, who and why are recorded.
"$SEALSVC" --data "$DATA" seal unlock "$SEAL" --reason "clerk identified by phone" >"$WORK/unlock.txt" ||
    fail "seal unlock failed: $(cat "$WORK/unlock.txt")"
grep -q "seal $SEAL: unlocked, active (5 wrong PINs forgiven); recorded in the audit trail" "$WORK/unlock.txt" ||
    fail "unlock says: $(cat "$WORK/unlock.txt")"
stamp_ok "$WORK/after-unlock.pdf"
# four wrong PINs after the unlock do not lock it again: the count started from zero
for i in 1 2 3 4; do
    expect_exit 3 "$SEALSVC" --data "$DATA" stamp "$SAMPLE" "$WORK/no.pdf" --seal "$SEAL" --pin "again$i" --at 50,50
done
grep -q "(1 try left)" "$WORK/err" || fail "the count was not reset by the unlock: $(cat "$WORK/err")"
stamp_ok "$WORK/after-four.pdf"
expect_exit 3 "$SEALSVC" --data "$DATA" seal unlock "$SEAL"
grep -q "seal $SEAL is not locked: it cannot be unlocked" "$WORK/err" || fail "unlocking an active seal: $(cat "$WORK/err")"

# Lock by hand, then revoke: no stamps; a revoked seal stays revoked.
"$SEALSVC" --data "$DATA" seal lock "$SEAL" --reason "token reported lost" >/dev/null || fail "seal lock failed"
stamp_refused "seal $SEAL is locked by an administrator"
"$SEALSVC" --data "$DATA" seal revoke "$SEAL" --reason "institution closed" >"$WORK/revoke.txt" ||
    fail "seal revoke failed"
grep -q "active -> cancelled" "$WORK/revoke.txt" || fail "revoke says: $(cat "$WORK/revoke.txt")"
stamp_refused "seal $SEAL is cancelled and can no longer be used"
for action in unlock lock revoke; do
    expect_exit 3 "$SEALSVC" --data "$DATA" seal "$action" "$SEAL" --reason again
    grep -q "seal $SEAL is cancelled: it cannot be" "$WORK/err" || fail "$action on a cancelled seal: $(cat "$WORK/err")"
done

# The trail: every change with its user and reason, in order, and intact.
audit_about
USER_NAME=$(id -un)
python3 - "$WORK/audit.txt" "$USER_NAME" <<'PY' || fail "the audit trail of the seal is wrong: $(cat "$WORK/audit.txt")"
import sys
every = open(sys.argv[1]).read().splitlines()
# the seal's making and every stamp tried are there too (stamp_audit.sh checks their wording)
F, OK = "stamp-failed", "stamp"
assert [l.split()[2] for l in every] == ["make", F, F, F, F, "lock", F, F, "unlock", OK, F, F, F, F, OK,
                                         "lock", F, "cancel", F], every
lines = [l for l in every if l.split()[2] not in ("make", F, OK)]
assert "clerk identified by phone" in lines[1] and "(5 wrong PINs forgiven)" in lines[1], lines[1]
assert "(by %s)" % sys.argv[2] in lines[1], lines[1]
assert "token reported lost" in lines[2] and "institution closed" in lines[3]
PY
"$SEALSVC" --data "$DATA" audit verify >/dev/null || fail "the audit trail is not intact"

# Unknown seal, usage slips.
expect_exit 3 "$SEALSVC" --data "$DATA" seal unlock no-such-seal
grep -q "there is no seal with id no-such-seal" "$WORK/err" || fail "unknown seal: $(cat "$WORK/err")"
expect_exit 64 "$SEALSVC" --data "$DATA" seal unlock
expect_exit 64 "$SEALSVC" --data "$DATA" seal lock "$SEAL" extra
echo "seal_admin: OK"
