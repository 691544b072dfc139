// swift-tools-version: 5.9
// DubanCore: the Rust core (duban-ffi) for the iOS app. `DubanFFI` is the static library
// with its C header and module map (`duban_ffiFFI`), built by `ios/build-xcframework.sh`;
// the `DubanCore` target is the Swift that UniFFI generates for it (`duban_ffi.swift`,
// copied in by the same script) plus `DubanStore.swift`, the one hand-written file.
import PackageDescription

let package = Package(
    name: "DubanCore",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "DubanCore", targets: ["DubanCore"]),
    ],
    targets: [
        .binaryTarget(name: "DubanFFI", path: "DubanFFI.xcframework"),
        .target(
            name: "DubanCore",
            dependencies: ["DubanFFI"],
            path: "Sources/DubanCore",
            linkerSettings: [
                // The Rust library reads the time zone through CoreFoundation
                // (iana-time-zone); a static library does not carry that link itself.
                .linkedFramework("CoreFoundation"),
            ]
        ),
    ]
)
