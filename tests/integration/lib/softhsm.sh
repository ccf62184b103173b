# A SoftHSM2 token of the test's own: its token directory and configuration under $WORK
# (SOFTHSM2_CONF points there, so no system token is touched), one token initialised with
# softhsm2-util. Sourced after common.sh.
# Under AddressSanitizer, libp11's own leaks (tests/lsan.supp says which and why) are let go
# in the sealsvc processes that use a token; nothing of ours is.
if [ "${SEAL_SANITIZE:-0}" = 1 ]; then
    export LSAN_OPTIONS="suppressions=$SEAL_SOURCE_DIR/tests/lsan.supp"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
fi

# make_token LABEL SO_PIN USER_PIN
make_token() {
    command -v softhsm2-util >/dev/null || fail "softhsm2-util is missing (tests/install-deps.sh installs softhsm2)"
    P11_MODULE=/usr/lib/softhsm/libsofthsm2.so
    [ -e "$P11_MODULE" ] || fail "$P11_MODULE is missing (tests/install-deps.sh installs softhsm2)"
    mkdir -p "$WORK/softhsm/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$WORK/softhsm/tokens" >"$WORK/softhsm/softhsm2.conf"
    export SOFTHSM2_CONF="$WORK/softhsm/softhsm2.conf"
    softhsm2-util --init-token --free --label "$1" --so-pin "$2" --pin "$3" >"$WORK/softhsm/init.log" 2>&1 ||
        fail "softhsm2-util --init-token failed: $(cat "$WORK/softhsm/init.log")"
}

# p11tool ARGS...: pkcs11-tool (OpenSC) on the test's SoftHSM2 module.
p11tool() {
    pkcs11-tool --module "$P11_MODULE" "$@"
}
