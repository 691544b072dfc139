//! The UniFFI generator, pinned to the workspace's `uniffi` version, so that the Kotlin and
//! Swift bindings always match the library: `scripts/bindings` runs it.

fn main() {
    uniffi::uniffi_bindgen_main()
}
