# The browser tests' prerequisites (web_verify.sh, web_desk.sh): the driver and axe-core
# that tests/install-deps.sh installs with npm ci in tests/web, node, and Debian's
# chromium; a clear failure naming what is missing. Sets WEB (tests/web). Sourced after
# common.sh.
WEB="$SEAL_SOURCE_DIR/tests/web"
[ -d "$WEB/node_modules/playwright-core" ] && [ -d "$WEB/node_modules/axe-core" ] ||
    fail "the browser driver is not installed: tests/install-deps.sh runs npm ci in tests/web"
command -v node >/dev/null || fail "node is needed (tests/install-deps.sh installs it)"
[ -x /usr/bin/chromium ] || fail "chromium is needed (tests/install-deps.sh installs it)"
