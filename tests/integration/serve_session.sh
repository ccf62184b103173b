#!/usr/bin/env bash
# The clerk desk's login against `sealsvc serve` on loopback with a fresh demo platform:
# the demo clerk logs in (the cookie HttpOnly, SameSite=Strict, Path=/, Secure only when a
# trusted proxy says HTTPS), sees the seals granted to them with the grants, stamps with
# the cookie only when the CSRF token comes too (a refused stamp leaves no audit record),
# logs out (the cookie stops working); wrong passwords are refused, the fifth locks the
# account (423 with Retry-After) even for the right password until the lock ends; an idle
# session expires; the audit trail has the logins, failures, lock and logout, and neither
# the password nor the token is in the server's log. The store's part runs on PostgreSQL
# in store_unit_postgres.sh (test_store_desk).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
make_demo
. "$(dirname "$0")/lib/serve.sh"

m() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d=d[k]
print(d)' "$WORK/manifest.json" "$@"; }
LOGIN=$(m desk login)
PASSWORD=$(m desk password)
PIN=$(python3 -c 'import json,sys; print([s["pin"] for s in json.load(open(sys.argv[1]))["seals"] if s["id"] == "xinghe-contract"][0])' "$WORK/manifest.json")
R="$WORK/r"
mkdir -p "$R"
printf '[server]\ntrusted_proxies = 127.0.0.1\n[verify]\noffline = true\n[desk]\nlock_seconds = 5\n' >"$WORK/serve.conf"
start_serve "$WORK/serve.log" --config "$WORK/serve.conf"
JSON=(-H "Content-Type: application/json")

login() { # NAME PASSWORD [CURL ARGS...]: prints the status
    local name=$1 password=$2
    shift 2
    call POST /api/v1/session "$R/$name" "${JSON[@]}" "$@" \
        --data-binary "{\"login\":\"$LOGIN\",\"password\":\"$password\"}"
}
cookie_of() { sed -n 's/^[Ss]et-[Cc]ookie: *\(sealsvc_session=[^;]*\).*$/\1/p' "$R/$1.h" | tr -d '\r'; }
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d=d[k]
print(d)' "$R/$1" "${@:2}"; }
audit_count() { "$SEALSVC" --data "$DATA" audit list --json |
    python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["action"] == sys.argv[1] and (len(sys.argv) < 3 or r["actor"] == sys.argv[2])))' "$@"; }

# --- login: the cookie's flags, the body's person and CSRF token
[ "$(login ok "$PASSWORD")" = 201 ] || fail "login: $(cat "$R/ok")"
SETC=$(grep -i '^set-cookie:' "$R/ok.h" | tr -d '\r')
for flag in 'sealsvc_session=' '; Path=/' '; HttpOnly' '; SameSite=Strict'; do
    grep -qF -- "$flag" <<<"$SETC" || fail "the session cookie lacks '$flag': $SETC"
done
! grep -qi 'secure' <<<"$SETC" || fail "a cookie over plain HTTP is Secure: $SETC"
[ "$(field ok person id)" = "$LOGIN" ] && [ "$(field ok person name)" = 李文书 ] &&
    [ "$(field ok role)" = clerk ] || fail "login body: $(cat "$R/ok")"
COOKIE=(-H "Cookie: theme=dark; $(cookie_of ok)")
TOKEN=$(cookie_of ok | cut -d= -f2)
CSRF=$(field ok csrf_token)
[ "${#TOKEN}" = 43 ] && [ "${#CSRF}" = 43 ] || fail "token or CSRF token not 32 random bytes"

# Secure when a trusted proxy says the browser used HTTPS; a client's own claim is not enough
[ "$(login tls "$PASSWORD" -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: https')" = 201 ] ||
    fail "login through the proxy: $(cat "$R/tls")"
grep -i '^set-cookie:' "$R/tls.h" | grep -q '; Secure' || fail "no Secure cookie behind a TLS proxy"
[ "$(login notls "$PASSWORD" -H 'X-Forwarded-Proto: https')" = 201 ] || fail "login: $(cat "$R/notls")"
! grep -i '^set-cookie:' "$R/notls.h" | grep -qi 'secure' || fail "Secure on a client's own X-Forwarded-Proto"

# --- who am I; my seals from my grants (pictures included)
[ "$(call GET /api/v1/session "$R/me" "${COOKIE[@]}")" = 200 ] || fail "GET session: $(cat "$R/me")"
[ "$(field me institution code)" = "$(m desk institution)" ] || fail "whoami: $(cat "$R/me")"
[ "$(call GET /api/v1/seals "$R/seals" "${COOKIE[@]}")" = 200 ] || fail "seals: $(cat "$R/seals")"
python3 - "$R/seals" <<'PY' || fail "the session's seals: $(cat "$R/seals")"
import json, sys
s = json.load(open(sys.argv[1]))["seals"]
assert sorted(x["id"] for x in s) == ["xinghe-contract", "xinghe-official"], s
for x in s:
    g = x["grants"]
    assert len(g) == 1 and g[0]["project"] == "DEMO-2026-001" and g[0]["uses_left"] == 100, g
    assert x["picture"] == "/api/v1/seals/%s/picture" % x["id"] and x["institution"]["name"], x
PY
[ "$(call GET /api/v1/seals/xinghe-contract/picture "$R/pic.png" "${COOKIE[@]}")" = 200 ] ||
    fail "picture with the session"
[ "$(head -c 8 "$R/pic.png" | xxd -p)" = 89504e470d0a1a0a ] || fail "the picture is not a PNG"
# another institution's seal is not this clerk's
[ "$(call GET /api/v1/seals/pujiang-official "$R/other" "${COOKIE[@]}")" = 403 ] ||
    fail "another institution's seal with the session: $(cat "$R/other")"
# the admin routes are not a clerk's
[ "$(call GET /api/v1/people "$R/people" "${COOKIE[@]}")" = 403 ] || fail "a session read the people"

# --- a mutating request: without or with a wrong CSRF token nothing is done
STAMP=(-F "file=@$SEAL_SOURCE_DIR/samples/contract-zh.pdf;type=application/pdf"
    -F seal=xinghe-contract -F "pin=$PIN" -F page=1 -F at=100,100)
before=$(audit_count stamp)
[ "$(call POST /api/v1/stamp "$R/nocsrf" "${COOKIE[@]}" "${STAMP[@]}")" = 403 ] ||
    fail "a stamp without the CSRF token: $(head -c 300 "$R/nocsrf")"
expect_problem "$R/nocsrf" 403 csrf
[ "$(call POST /api/v1/stamp "$R/badcsrf" "${COOKIE[@]}" -H "X-CSRF-Token: ${CSRF%?}x" "${STAMP[@]}")" = 403 ] ||
    fail "a stamp with a wrong CSRF token"
[ "$(audit_count stamp)" = "$before" ] || fail "a refused stamp left an audit record"
[ "$(call POST /api/v1/stamp "$R/sealed.pdf" "${COOKIE[@]}" -H "X-CSRF-Token: $CSRF" "${STAMP[@]}")" = 200 ] ||
    fail "a stamp with the session: $(head -c 300 "$R/sealed.pdf")"
"$SEALSVC" --data "$DATA" verify "$R/sealed.pdf" >/dev/null || fail "the desk's stamp does not verify"
[ "$(audit_count stamp "person:$LOGIN")" = 1 ] || fail "the stamp's audit record does not name person:$LOGIN"
# the stamp used the clerk's grant on the seal: counted, and written into the signature
"$SEALSVC" --data "$DATA" verify --json "$R/sealed.pdf" >"$R/sealed.json"
[ "$(call GET /api/v1/seals "$R/seals-after" "${COOKIE[@]}")" = 200 ] || fail "seals: $(cat "$R/seals-after")"
python3 - "$R/sealed.json" "$R/seals-after" <<'PY' || fail "the desk's stamp and its grant: $(cat "$R/sealed.json")"
import json, sys
g = json.load(open(sys.argv[1]))["signatures"][-1]["grant"]
assert g["project"] == "DEMO-2026-001" and g["grantee"].endswith("*"), g
s = {x["id"]: x for x in json.load(open(sys.argv[2]))["seals"]}
assert s["xinghe-contract"]["grants"][0]["uses_left"] == 99, s["xinghe-contract"]["grants"]
assert s["xinghe-official"]["grants"][0]["uses_left"] == 100, s["xinghe-official"]["grants"]
PY
# a seal of the institution the clerk holds no grant for, and a grant that is not the clerk's
OTHER_GRANT=$("$SEALSVC" --data "$DATA" grant add --seal xinghe-official --grantor 1 --grantee 1 \
    --until 2099-01-01 | sed -n 's/^grant //p')
[ -n "$OTHER_GRANT" ] || fail "grant add for the administrator"
NOGRANT=(-F "file=@$SEAL_SOURCE_DIR/samples/contract-zh.pdf;type=application/pdf"
    -F seal=xinghe-legal-rep -F "pin=$PIN" -F page=1 -F at=100,100)
[ "$(call POST /api/v1/stamp "$R/nogrant" "${COOKIE[@]}" -H "X-CSRF-Token: $CSRF" "${NOGRANT[@]}")" = 403 ] ||
    fail "a seal without a grant: $(head -c 300 "$R/nogrant")"
expect_problem "$R/nogrant" 403 grant-required
[ "$(call POST /api/v1/stamp "$R/notmine" "${COOKIE[@]}" -H "X-CSRF-Token: $CSRF" "${STAMP[@]}" \
    -F "grant=$OTHER_GRANT")" = 403 ] || fail "another's grant: $(head -c 300 "$R/notmine")"
expect_problem "$R/notmine" 403 grant-forbidden
[ "$(audit_count stamp "person:$LOGIN")" = 1 ] || fail "a refused desk stamp was recorded as a stamp"

# --- logout: CSRF needed; then the cookie opens nothing
[ "$(call DELETE /api/v1/session "$R/out-nocsrf" "${COOKIE[@]}")" = 403 ] || fail "logout without CSRF"
[ "$(call DELETE /api/v1/session "$R/out" "${COOKIE[@]}" -H "X-CSRF-Token: $CSRF")" = 204 ] ||
    fail "logout: $(cat "$R/out")"
grep -i '^set-cookie:' "$R/out.h" | grep -q 'Max-Age=0' || fail "logout does not clear the cookie"
[ "$(call GET /api/v1/session "$R/after" "${COOKIE[@]}")" = 401 ] || fail "the cookie works after logout"
expect_problem "$R/after" 401 no-session
[ "$(call GET /api/v1/seals "$R/after-seals" "${COOKIE[@]}")" = 401 ] || fail "seals after logout"

# --- wrong passwords: 401 each, the fifth locks; the right password is refused while locked
for i in 1 2 3 4; do
    [ "$(login bad$i "wrong-password-$i")" = 401 ] || fail "wrong password $i: $(cat "$R/bad$i")"
    expect_problem "$R/bad$i" 401 bad-login
done
[ "$(login bad5 wrong-password-5)" = 423 ] || fail "the fifth wrong password: $(cat "$R/bad5")"
expect_problem "$R/bad5" 423 account-locked
grep -qi '^retry-after: [1-5]' "$R/bad5.h" || fail "no Retry-After on the lock"
[ "$(login locked "$PASSWORD")" = 423 ] || fail "the right password while locked: $(cat "$R/locked")"
wait_s=$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$R/locked.h")
sleep "$((wait_s + 1))"
[ "$(login unlocked "$PASSWORD")" = 201 ] || fail "the right password after the lock: $(cat "$R/unlocked")"
[ "$(audit_count desk-login-failed)" -ge 4 ] && [ "$(audit_count desk-login-locked)" = 1 ] &&
    [ "$(audit_count desk-login-refused)" = 1 ] && [ "$(audit_count desk-login "person:$LOGIN")" -ge 4 ] &&
    [ "$(audit_count desk-logout "person:$LOGIN")" = 1 ] || fail "the audit trail lacks the desk's records"

# --- an idle session expires (a second instance on the same data, 2 s idle)
printf '[verify]\noffline = true\n[desk]\nsession_idle = 2\nsession_lifetime = 60\n' >"$WORK/idle.conf"
start_serve "$WORK/idle.log" --config "$WORK/idle.conf"
[ "$(login idle "$PASSWORD")" = 201 ] || fail "login (idle): $(cat "$R/idle")"
IDLE=(-H "Cookie: $(cookie_of idle)")
[ "$(call GET /api/v1/session "$R/idle1" "${IDLE[@]}")" = 200 ] || fail "a fresh session refused"
sleep 3
[ "$(call GET /api/v1/session "$R/idle2" "${IDLE[@]}")" = 401 ] || fail "an idle session still works"
grep -q expired "$R/idle2" || fail "the refusal does not say the session expired: $(cat "$R/idle2")"

# --- nothing secret in the logs; the caller is the person
for log in "$WORK/serve.log" "$WORK/idle.log"; do
    ! grep -qF "$PASSWORD" "$log" || fail "the password is in $log"
    ! grep -qF "$TOKEN" "$log" || fail "the session token is in $log"
    ! grep -qF "$CSRF" "$log" || fail "the CSRF token is in $log"
done
grep -q "\"caller\":\"person:$LOGIN\"" "$WORK/serve.log" || fail "no log line names person:$LOGIN"
echo "PASS"
