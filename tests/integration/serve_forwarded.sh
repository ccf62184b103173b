#!/usr/bin/env bash
# The client behind a proxy (`[server] trusted_proxies`, sealsvc/http/forwarded.c). With
# nginx in front, every request reaches sealsvc from nginx's address, so verify's
# per-client rate limit would count all clients as one. Here nginx connects from
# 127.0.0.2 (proxy_bind) and appends the client's address (127.0.0.1) to X-Forwarded-For,
# as docs/deploy's site does; sealsvc trusts 127.0.0.2 only. Then:
#   - through nginx, the limit (2 a minute) is the client's: the third verify is 429 and
#     names 127.0.0.1, the log names the client as peer and nginx as proxy;
#   - an X-Forwarded-For the client writes itself does not choose its address (nginx
#     appends the real one, and sealsvc reads from the right);
#   - straight to sealsvc (not through a trusted proxy), X-Forwarded-For is ignored;
#   - a second sealsvc without trusted_proxies takes nginx for the client;
#   - a trusted_proxies entry that is not an address stops serve with a message naming it.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
command -v nginx >/dev/null || fail "nginx is needed (tests/install-deps.sh installs it)"
make_demo
. "$(dirname "$0")/lib/serve.sh"
NGINX_PID=""
trap 'kill "$NGINX_PID" 2>/dev/null || true; stop_serves; rm -rf "$WORK"' EXIT
cd "$WORK"
mkdir tmp
PDF="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"

cat >trusted.conf <<EOF
[server]
trusted_proxies = 127.0.0.2, ::ffff:10.0.0.0/104
tmp_dir = $WORK/tmp
[verify]
offline = true
per_minute = 2
EOF
start_serve "$WORK/trusted.log" --config trusted.conf
TRUSTED=$SERVE_URL

# --- nginx from 127.0.0.2, with the deploy site's X-Forwarded-For line
mkdir -p nginx/tmp
chmod -R 777 nginx
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
XFF_LINE=$(grep -m1 'proxy_set_header X-Forwarded-For' "$SEAL_SOURCE_DIR/docs/deploy/nginx-sealsvc.conf")
[ -n "$XFF_LINE" ] || fail "the deploy site no longer sets X-Forwarded-For"
cat >nginx/nginx.conf <<EOF
$([ "$(id -u)" = 0 ] && echo "user nobody nogroup;")
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        client_max_body_size 20m;
        location / {
            proxy_bind 127.0.0.2;
            proxy_request_buffering off;
            $XFF_LINE
            proxy_pass ${TRUSTED}/;
        }
    }
}
EOF
nginx -t -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" >nginx/t.log 2>&1 || fail "nginx -t: $(cat nginx/t.log)"
nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
LB="http://127.0.0.1:$PORT"
for _ in $(seq 50); do
    curl -s -o /dev/null "$LB/healthz" && break
    sleep 0.1
done

verify_via() { # URL OUT [CURL ARGS]: the status of a verify of the sample
    local url=$1 out=$2
    shift 2
    curl -s -o "$out" -w '%{http_code}' -H "Content-Type: application/pdf" --data-binary "@$PDF" "$@" "$url/api/v1/verify"
}

# through nginx: the client's own bucket, whatever it claims
[ "$(verify_via "$LB" v1.json -H 'X-Forwarded-For: 198.51.100.7')" = 200 ] || fail "verify through nginx: $(cat v1.json) $(cat nginx/error.log)"
[ "$(verify_via "$LB" v2.json -H 'X-Forwarded-For: 198.51.100.8')" = 200 ] || fail "second verify: $(cat v2.json)"
[ "$(verify_via "$LB" v3.json -H 'X-Forwarded-For: 198.51.100.9')" = 429 ] ||
    fail "a client changing its own X-Forwarded-For escaped the rate limit: $(cat v3.json)"
grep -q '127.0.0.1' v3.json || fail "the 429 does not name the client 127.0.0.1: $(cat v3.json)"
grep -q '198.51.100' v3.json && fail "the 429 names an address the client made up: $(cat v3.json)"
python3 - trusted.log <<'PY' || fail "the log does not name the client as peer and nginx as proxy: $(tail -3 trusted.log)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
hits = [l for l in lines if l.get("route") == "/api/v1/verify"]
assert hits and all(l["peer"] == "127.0.0.1" and l["proxy"] == "127.0.0.2" for l in hits), hits
PY

# straight to sealsvc from 127.0.0.1 (not a trusted proxy): the header is ignored, and
# 127.0.0.1's bucket is the one nginx's requests already emptied
[ "$(verify_via "$TRUSTED" d1.json -H 'X-Forwarded-For: 203.0.113.50')" = 429 ] ||
    fail "X-Forwarded-For from an untrusted peer was believed: $(cat d1.json)"
grep -q '203.0.113.50' d1.json && fail "the 429 names the untrusted header's address"

# a second sealsvc without trusted_proxies, behind the same kind of nginx: nginx is the client
sed -e '/trusted_proxies/d' trusted.conf >plain.conf
start_serve "$WORK/plain.log" --config plain.conf
PLAIN=$SERVE_URL
for n in 1 2; do
    [ "$(verify_via "$PLAIN" p$n.json -H "X-Forwarded-For: 198.51.100.$n")" = 200 ] || fail "plain verify $n: $(cat p$n.json)"
done
[ "$(verify_via "$PLAIN" p3.json -H 'X-Forwarded-For: 198.51.100.3')" = 429 ] ||
    fail "without trusted_proxies, X-Forwarded-For still chose the client: $(cat p3.json)"
grep -q '"proxy"' plain.log && fail "a proxy logged without trusted_proxies"

# a bad entry: serve refuses to start and names it
printf '[server]\ntrusted_proxies = 127.0.0.2, nginx.local\n' >bad.conf
rc=0
"$SEALSVC" --data "$DATA" serve --listen 127.0.0.1:0 --config bad.conf 2>bad.err || rc=$?
[ "$rc" = 64 ] || fail "a bad trusted_proxies: exit $rc, not 64: $(cat bad.err)"
grep -q "'nginx.local' is not an IPv4 or IPv6 address" bad.err || fail "the refusal says: $(cat bad.err)"
echo PASS
