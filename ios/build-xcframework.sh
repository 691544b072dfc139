#!/usr/bin/env bash
# Builds the Rust core (crate duban-ffi) for iOS and packages it for the DubanCore Swift
# package: ios/DubanCore/DubanFFI.xcframework (static libraries for devices and for the
# simulator, with the C header and module map UniFFI generates) and
# ios/DubanCore/Sources/DubanCore/duban_ffi.swift (the generated Swift bindings).
#
# macOS with Xcode only. The Swift bindings alone can be generated on any machine with
# `scripts/bindings` (CI does so on Linux, from the .so); this script runs the same pinned
# generator (`uniffi-bindgen` of the duban-ffi crate) on the iOS device library instead,
# because scripts/bindings reads target/*/libduban_ffi.so, which macOS does not build. The
# generated Swift is the same; taking it from the library that ships keeps the checksums
# in the Swift and in the library in step.
#
# Usage: ios/build-xcframework.sh
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "build-xcframework: $*" >&2
    exit 1
}

[ "$(uname -s)" = Darwin ] ||
    die "this builds iOS libraries and needs macOS with Xcode (this is $(uname -s)). On Linux, scripts/bindings generates the Swift bindings without building for iOS."
command -v xcodebuild >/dev/null ||
    die "xcodebuild not found: install Xcode 15.3 or later and run 'sudo xcode-select -s /Applications/Xcode.app'"
xcrun --sdk iphoneos --show-sdk-path >/dev/null 2>&1 ||
    die "the iOS SDK is missing: select a full Xcode (not only the Command Line Tools) with xcode-select"
command -v lipo >/dev/null || die "lipo not found (it comes with Xcode)"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs)"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
if command -v rustup >/dev/null; then
    installed=$(rustup target list --installed)
    for t in "${targets[@]}"; do
        grep -qx "$t" <<<"$installed" ||
            die "Rust target $t is not installed: rustup target add ${targets[*]}"
    done
fi

# The C parts (SQLite, ring) and the Rust code are built for the same minimum iOS as the
# Swift package.
export IPHONEOS_DEPLOYMENT_TARGET=15.0

for t in "${targets[@]}"; do
    echo "== cargo build --release -p duban-ffi --lib --target $t"
    cargo build --release -p duban-ffi --lib --target "$t"
done

device=target/aarch64-apple-ios/release/libduban_ffi.a
for lib in "$device" target/aarch64-apple-ios-sim/release/libduban_ffi.a target/x86_64-apple-ios/release/libduban_ffi.a; do
    [ -s "$lib" ] || die "$lib was not built"
done

echo "== uniffi-bindgen generate --language swift (from $device)"
cargo build --release -q -p duban-ffi --features bindgen --bin uniffi-bindgen
work=target/ios
gen="$work/bindings"
rm -rf "$work"
mkdir -p "$work"
if ! target/release/uniffi-bindgen generate "$device" --language swift --out-dir "$gen" --no-format; then
    # Reading the metadata out of a static archive has failed for some crates with some
    # UniFFI versions; the host's dynamic library carries the same metadata.
    echo "build-xcframework: generating from $device failed; trying the macOS library" >&2
    rm -rf "$gen"
    cargo build --release -q -p duban-ffi --lib
    target/release/uniffi-bindgen generate target/release/libduban_ffi.dylib --language swift --out-dir "$gen" --no-format
fi
for f in duban_ffi.swift duban_ffiFFI.h duban_ffiFFI.modulemap; do
    [ -s "$gen/$f" ] || die "uniffi-bindgen did not write $gen/$f"
done

echo "== headers and module map"
headers="$work/headers"
mkdir -p "$headers"
cp "$gen/duban_ffiFFI.h" "$headers/"
# Xcode finds a library's module by the name module.modulemap directly in its Headers
# directory (explicit module builds do not look deeper); the module inside is still
# `duban_ffiFFI`, which duban_ffi.swift imports. The `use "_Builtin_stdbool"` and
# `use "_Builtin_stdint"` lines UniFFI writes name Clang modules that Xcode 26 and later no
# longer have, and the module then fails to build (uniffi-rs issue 2917). Without them it
# is the module map UniFFI wrote before 2025, which Xcode 15 and 16 build as well.
grep -v '^[[:space:]]*use "_Builtin_' "$gen/duban_ffiFFI.modulemap" >"$headers/module.modulemap"
grep -q 'module duban_ffiFFI' "$headers/module.modulemap" ||
    die "unexpected module map from uniffi-bindgen: $gen/duban_ffiFFI.modulemap"

echo "== lipo: one simulator library for arm64 and x86_64"
mkdir -p "$work/simulator"
simulator="$work/simulator/libduban_ffi.a"
lipo -create \
    target/aarch64-apple-ios-sim/release/libduban_ffi.a \
    target/x86_64-apple-ios/release/libduban_ffi.a \
    -output "$simulator"

echo "== xcodebuild -create-xcframework"
package=ios/DubanCore
xcframework="$package/DubanFFI.xcframework"
rm -rf "$xcframework"
xcodebuild -create-xcframework \
    -library "$device" -headers "$headers" \
    -library "$simulator" -headers "$headers" \
    -output "$xcframework"

mkdir -p "$package/Sources/DubanCore"
cp "$gen/duban_ffi.swift" "$package/Sources/DubanCore/duban_ffi.swift"

echo "built: $xcframework"
echo "       $package/Sources/DubanCore/duban_ffi.swift"
echo "next:  cd ios/DubanApp && xcodegen && open DubanApp.xcodeproj"
