#!/usr/bin/env bash
# libseal as a library, the way a programmer outside this tree meets it: installed with
# `cmake --install` into a fresh prefix, every public header compiles on its own with only
# the installed include directory and OpenSSL's (no libxml2, Cairo or glib headers), and
# the sample program samples/stamp_and_verify.c builds against the INSTALLED library twice,
# with `pkg-config --cflags --libs libseal` and with a CMake project's
# find_package(libseal). Each build stamps the sample contract on a demo platform; the
# output must verify VALID with the sample's own verify, `sealsvc verify` and Poppler's
# pdfsig, and the input must be unchanged. A wrong PIN: a clear message, no output file.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

: "${SEAL_BUILD_DIR:?SEAL_BUILD_DIR must name the build tree}"
for tool in pkg-config cc cmake pdfsig; do
    command -v "$tool" >/dev/null || fail "$tool is needed"
done

PREFIX="$WORK/prefix"
cmake --install "$SEAL_BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    fail "cmake --install failed: $(cat "$WORK/install.log")"
pc=$(find "$PREFIX" -name libseal.pc)
[ -n "$pc" ] || fail "no libseal.pc was installed"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir libseal)
config=$(find "$PREFIX" -name libsealConfig.cmake)
[ -n "$config" ] || fail "no libsealConfig.cmake was installed"
[ -f "$(dirname "$config")/libsealConfigVersion.cmake" ] || fail "no libsealConfigVersion.cmake"

# ---- what a program compiling against the headers needs: OpenSSL, nothing else
requires=$(pkg-config --print-requires libseal)
[ "$(awk '{print $1}' <<<"$requires")" = libcrypto ] ||
    fail "libseal.pc Requires should be libcrypto alone, is: $requires"
for flags in "$(pkg-config --cflags --libs libseal)" "$(cat "$config")"; do
    case "$flags" in
    *"$SEAL_SOURCE_DIR"* | *"$SEAL_BUILD_DIR"*) fail "the installed package points into the build: $flags" ;;
    esac
done

# ---- every public header alone, with the installed include directory and OpenSSL's
# Headers in the default path (zip.h, sqlite3.h, jansson.h...) would compile too, so the
# includes are also checked by name: seal's own, OpenSSL's and the C library's.
read -r -a SSL_CFLAGS <<<"$(pkg-config --cflags libcrypto)"
for h in "$PREFIX"/include/seal/*.h; do
    name=$(basename "$h")
    bad=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$h" |
        grep -vE '<(seal|openssl)/[a-z0-9_]+\.h>|<(stdbool|stddef|stdint|stdio|stdarg|time)\.h>' || true)
    [ -z "$bad" ] || fail "<seal/$name> includes more than seal, OpenSSL and C headers: $bad"
    printf '#include <seal/%s>\n' "$name" >"$WORK/alone.c"
    cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$PREFIX/include" "${SSL_CFLAGS[@]}" \
        -c "$WORK/alone.c" -o "$WORK/alone.o" 2>"$WORK/alone.err" ||
        fail "the installed <seal/$name> does not compile on its own with only OpenSSL: $(head -5 "$WORK/alone.err")"
done

# The sanitizer build's library needs its runtime in the programs that link it.
SAN=()
[ "${SEAL_SANITIZE:-0}" = 1 ] && SAN=(-fsanitize=address,undefined)

# ---- the sample, built with pkg-config
read -r -a FLAGS <<<"$(pkg-config --cflags --libs libseal)"
cc -std=c11 -Wall -Wextra -Werror -pedantic "${SAN[@]}" "$SEAL_SOURCE_DIR/samples/stamp_and_verify.c" \
    -o "$WORK/sample-pc" "${FLAGS[@]}" -Wl,-rpath,"$libdir" 2>"$WORK/cc.err" ||
    fail "the sample does not build with pkg-config --cflags --libs libseal: $(cat "$WORK/cc.err")"

# ---- the sample, built by a CMake project with find_package
mkdir -p "$WORK/proj"
cat >"$WORK/proj/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(uses_libseal C)
find_package(libseal 0.1 REQUIRED)
add_executable(sample "$SEAL_SOURCE_DIR/samples/stamp_and_verify.c")
target_compile_options(sample PRIVATE -Wall -Wextra -Werror -pedantic)
set_target_properties(sample PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_link_libraries(sample PRIVATE libseal::seal)
EOF
cmake -S "$WORK/proj" -B "$WORK/proj/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_C_FLAGS="${SAN[*]}" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$WORK/proj.log" 2>&1 ||
    fail "find_package(libseal) fails: $(tail -20 "$WORK/proj.log")"
cmake --build "$WORK/proj/build" >>"$WORK/proj.log" 2>&1 ||
    fail "the sample does not build with find_package(libseal): $(tail -20 "$WORK/proj.log")"
! grep -qE "$SEAL_SOURCE_DIR/libseal|$SEAL_BUILD_DIR" "$WORK/proj/build/compile_commands.json" ||
    fail "the CMake project compiles with the build tree's include directories"
cp "$WORK/proj/build/sample" "$WORK/sample-cmake"

# loads_installed_libseal PROGRAM: true when the dynamic linker picks the installed libseal
loads_installed_libseal() {
    local lib
    lib=$(ldd "$1" | sed -n 's/^[[:space:]]*libseal\.so\.0 => \(.*\) (0x.*/\1/p')
    [ -n "$lib" ] && [ "$(realpath "$lib")" = "$(realpath "$libdir/libseal.so.0")" ]
}

# ---- a demo platform, made by the installed sealsvc
SEALSVC_INST="$PREFIX/bin/sealsvc"
(cd "$WORK" && "$SEALSVC_INST" demo init --dir "$WORK/data") >"$WORK/manifest.json" 2>"$WORK/demo.log" ||
    fail "the installed sealsvc cannot make a demo platform: $(cat "$WORK/demo.log")"
ROOT_PEM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trust_anchors"][0])' "$WORK/manifest.json")
make_nssdb >/dev/null 2>&1 || fail "cannot make an NSS database trusting the demo root"
SEAL=$(seal_of rsa id contract)
PIN=$(seal_of rsa pin contract)
IN="$SEAL_SOURCE_DIR/samples/contract-zh.pdf"
in_sha=$(sha "$IN")

for build in pc cmake; do
    prog="$WORK/sample-$build"
    out="$WORK/out-$build.pdf"
    loads_installed_libseal "$prog" ||
        fail "the $build-built sample does not load the installed libseal: $(ldd "$prog" | grep libseal)"
    (cd "$WORK" && SEALSVC_PIN="$PIN" "$prog" "$WORK/data" "$SEAL" "$IN" "$out") \
        >"$WORK/run-$build.out" 2>&1 ||
        fail "the $build-built sample failed: $(cat "$WORK/run-$build.out")"
    grep -q "^stamped $out with seal $SEAL .*PAdES B-B" "$WORK/run-$build.out" ||
        fail "the sample did not print the stamp: $(cat "$WORK/run-$build.out")"
    grep -q "^  page 3 at " "$WORK/run-$build.out" ||
        fail "the sample's seal is not on the keyword's page 3: $(cat "$WORK/run-$build.out")"
    grep -qx "$out: VALID" "$WORK/run-$build.out" ||
        fail "the sample's own verify did not say VALID: $(cat "$WORK/run-$build.out")"
    "$SEALSVC_INST" --data "$WORK/data" verify "$out" >"$WORK/verify-$build.txt" 2>&1 ||
        fail "sealsvc verify does not find the sample's output VALID: $(cat "$WORK/verify-$build.txt")"
    pdfsig -nssdir "sql:$NSSDB" -no-ocsp "$out" >"$WORK/pdfsig-$build.txt" 2>&1 || true
    grep -q "Signature Validation: Signature is Valid." "$WORK/pdfsig-$build.txt" ||
        fail "pdfsig does not accept the sample's signature: $(cat "$WORK/pdfsig-$build.txt")"
    grep -q "Total document signed" "$WORK/pdfsig-$build.txt" ||
        fail "pdfsig says the signature does not cover the whole file: $(cat "$WORK/pdfsig-$build.txt")"
    [ "$(sha "$IN")" = "$in_sha" ] || fail "the sample changed its input"
done

# ---- a wrong PIN: refused in words, through seal_error_last(); no output, no PIN shown
wrong=000000
[ "$wrong" != "$PIN" ] || wrong=000001
expect_exit 3 env SEALSVC_PIN="$wrong" "$WORK/sample-pc" "$WORK/data" "$SEAL" "$IN" "$WORK/wrong.pdf"
grep -q "stamp failed (auth): wrong PIN" "$WORK/out" "$WORK/err" 2>/dev/null ||
    fail "a wrong PIN is not reported as such: $(cat "$WORK/out" "$WORK/err" 2>/dev/null)"
[ ! -e "$WORK/wrong.pdf" ] || fail "a refused stamp left an output file"
! grep -qF -e "$wrong" -e "$PIN" "$WORK/out" "$WORK/err" 2>/dev/null || fail "a PIN appears in the sample's output"

echo "library_install: ok (prefix $PREFIX)"
