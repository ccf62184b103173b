#!/usr/bin/env bash
# `cmake --install` into a fresh prefix gives a usable libseal, as a user outside this tree
# meets it: a small program built with `pkg-config --cflags --libs libseal` (and nothing
# else) checks a credit code and draws a seal in the installed font; the installed sealsvc
# finds its library and font and makes a demo platform. The prefix is not the one the build
# was configured for, so nothing may point back at the configured prefix. (The public
# headers alone, the CMake package and the stamp and verify sample: library_install.sh.)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

: "${SEAL_BUILD_DIR:?SEAL_BUILD_DIR must name the build tree}"
command -v pkg-config >/dev/null || fail "pkg-config is needed"
command -v cc >/dev/null || fail "a C compiler (cc) is needed"

PREFIX="$WORK/prefix"
cmake --install "$SEAL_BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install failed: $(cat "$WORK/install.log")"

# ---- what is installed
pc=$(find "$PREFIX" -name libseal.pc)
[ -n "$pc" ] || fail "no libseal.pc was installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
for h in "$SEAL_SOURCE_DIR"/libseal/include/seal/*.h; do
    [ -f "$PREFIX/include/seal/$(basename "$h")" ] || fail "header $(basename "$h") is not installed"
done
ls "$PREFIX"/lib*/libseal.so.0 >/dev/null 2>&1 || fail "libseal.so.0 is not installed"
[ -x "$PREFIX/bin/sealsvc" ] || fail "sealsvc is not installed"
for f in SealSerifSC-Bold.otf LICENSE-OFL.txt; do
    [ -f "$PREFIX/share/sealsvc/fonts/$f" ] || fail "fonts/$f is not installed"
done

pkg-config --exists libseal || fail "pkg-config does not find libseal in $PKG_CONFIG_PATH"
[ "$(pkg-config --modversion libseal)" = "$("$SEALSVC" --version | cut -d' ' -f2)" ] ||
    fail "libseal.pc has version $(pkg-config --modversion libseal), sealsvc another"
libdir=$(pkg-config --variable=libdir libseal)
includedir=$(pkg-config --variable=includedir libseal)
[ "$(realpath "$includedir")" = "$(realpath "$PREFIX/include")" ] ||
    fail "libseal.pc names includedir $includedir, not the prefix's"
[ -f "$libdir/libseal.so" ] || fail "libseal.pc names libdir $libdir, which has no libseal.so"

# The sanitizer build's library needs its runtime in the programs that link it.
SAN=()
[ "${SEAL_SANITIZE:-0}" = 1 ] && SAN=(-fsanitize=address,undefined)

read -r -a CFLAGS <<<"$(pkg-config --cflags libseal)"

# ---- a program of a user's own, built and run against the installed library
cat >"$WORK/user.c" <<'EOF'
#include <seal/error.h>
#include <seal/idnum.h>
#include <seal/image.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    if (seal_credit_code_check("91110000600037341L") != 0) {
        fprintf(stderr, "valid code refused: %s\n", seal_error_last());
        return 1;
    }
    if (seal_credit_code_check("91110000600037341M") != SEAL_EINVAL ||
        !strstr(seal_error_last(), "check character")) {
        fprintf(stderr, "wrong check character not caught\n");
        return 1;
    }
    const char *font = seal_font_path();
    seal_buf png = SEAL_BUF_INIT;
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = "北京市星河信息技术有限公司"};
    if (seal_image_draw(&png, &d) != 0 || seal_buf_write_file(&png, argv[1], 0644) != 0) {
        fprintf(stderr, "drawing failed: %s\n", seal_error_last());
        return 1;
    }
    seal_buf_clear(&png);
    printf("font %s\n", font ? font : "(none)");
    return 0;
}
EOF
read -r -a LIBS <<<"$(pkg-config --libs libseal)"
cc -std=c11 -Wall -Wextra -Werror "${SAN[@]}" "${CFLAGS[@]}" "$WORK/user.c" -o "$WORK/user" \
    "${LIBS[@]}" -Wl,-rpath,"$libdir" 2>"$WORK/cc.err" ||
    fail "a program does not build with pkg-config --cflags --libs libseal: $(cat "$WORK/cc.err")"
# loads_installed_libseal PROGRAM: true when the dynamic linker picks the installed libseal
loads_installed_libseal() {
    local lib
    lib=$(ldd "$1" | sed -n 's/^[[:space:]]*libseal\.so\.0 => \(.*\) (0x.*/\1/p')
    [ -n "$lib" ] && [ "$(realpath "$lib")" = "$(realpath "$libdir/libseal.so.0")" ]
}
loads_installed_libseal "$WORK/user" ||
    fail "the program does not load the installed libseal: $(ldd "$WORK/user" | grep libseal)"
# Run away from the source tree, as an installed library is: it must find its own font.
(cd "$WORK" && SEAL_FONT_DIR= "$WORK/user" "$WORK/seal.png") >"$WORK/user.out" 2>&1 ||
    fail "the program failed: $(cat "$WORK/user.out")"
grep -qF "font $(realpath "$PREFIX/share/sealsvc/fonts")/SealSerifSC-Bold.otf" "$WORK/user.out" ||
    fail "the installed library does not use the installed font: $(cat "$WORK/user.out")"
python3 - "$WORK/seal.png" <<'PY' || fail "the program's seal is not a PNG of a 42 mm seal"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert w == h and w >= 42 / 25.4 * 300, (w, h)
PY

# ---- the installed program finds its library (not the build tree's) and works
loads_installed_libseal "$PREFIX/bin/sealsvc" ||
    fail "the installed sealsvc does not load the installed libseal: $(ldd "$PREFIX/bin/sealsvc" | grep libseal)"
(cd "$WORK" && SEAL_FONT_DIR= "$PREFIX/bin/sealsvc" demo init --dir "$WORK/platform") \
    >"$WORK/manifest.json" 2>"$WORK/demo.log" ||
    fail "the installed sealsvc cannot make a demo platform: $(cat "$WORK/demo.log")"
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["seals"]) == 6' \
    "$WORK/manifest.json" || fail "the installed sealsvc printed no manifest of 6 seals"

echo "install: ok (prefix $PREFIX)"
