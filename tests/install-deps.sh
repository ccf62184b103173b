#!/usr/bin/env bash
# Installs the Debian 12 packages sealsvc needs to build, run and test. Sourced by
# samples/demo.sh and tests/run.sh; safe to run again (apt-get skips what is installed).
set -euo pipefail
SEAL_PACKAGES=(
    # build
    build-essential cmake pkg-config clang-format
    # the libFuzzer targets (tests/fuzz/run_short.sh): clang, and compiler-rt for libFuzzer
    # and clang's sanitizers
    clang libclang-rt-dev
    # libraries (DESIGN.md, "Dependencies and why")
    libssl-dev libglib2.0-dev libpoppler-glib-dev libcairo2-dev libfreetype-dev
    libqrencode-dev libxml2-dev libzip-dev libqpdf-dev libjansson-dev libsqlite3-dev
    libcurl4-openssl-dev zlib1g-dev libmicrohttpd-dev libjpeg62-turbo-dev libjbig2dec0-dev
    libp11-dev libp11-kit-dev libpq-dev libargon2-dev libfontconfig-dev
    # tests: cmocka, and the independent tools our outputs are checked with
    libcmocka-dev openssl poppler-utils qpdf libnss3-tools python3 xxd sqlite3 curl zbar-tools \
    python3-cryptography python3-jsonschema
    # PKCS#11: a software token to sign with, and pkcs11-tool to look at it
    softhsm2 opensc
    # the PostgreSQL engine's tests: a private cluster (tests/integration/lib/postgres.sh)
    postgresql
    # several `sealsvc serve` instances behind a load balancer (serve_cluster.sh)
    nginx-light
    # a clock moved years ahead for one process: identity data's retention (retention.sh)
    faketime
    # the seal font's source (and, at run time, the complete font that draws the hanzi the
    # shipped GB 2312 cut lacks: fonts/README.md) and the subsetter that checks
    # fonts/make-subset.sh reproduces the cut
    fonts-noto-cjk python3-fonttools
    # the HTTP service's benchmark, run by hand (tests/bench/bench_serve.sh)
    wrk
    # the web pages' tests: headless Chromium driven by playwright-core (tests/web/); the
    # CJK fonts above draw the pages' Chinese in its screenshots
    chromium
)
missing=()
for p in "${SEAL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "installing: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The OpenAPI document's checkers and the web pages' tests (package.json files pinned by
# their lock files): node and npm from Debian unless the machine has them already (from another source).
if ! command -v npm >/dev/null; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -d "$(dirname "${BASH_SOURCE[0]}")/openapi/node_modules/ajv" ]; then
    (cd "$(dirname "${BASH_SOURCE[0]}")/openapi" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# The web pages' browser driver and accessibility checker (tests/web/package.json, pinned
# by its lock file); the browser is Debian's chromium above, not one playwright downloads.
if [ ! -d "$(dirname "${BASH_SOURCE[0]}")/web/node_modules/playwright-core" ]; then
    (cd "$(dirname "${BASH_SOURCE[0]}")/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
