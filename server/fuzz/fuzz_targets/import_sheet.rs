//! The registration import's reader on arbitrary bytes: the upload's size, the zip's parts
//! and what they inflate to, the shared strings, the sheet's declared and real extent, the
//! cells, then the rows as drafts. Any input must end in rows or a `Problem` — never a
//! panic, a hang or an allocation past `duban_server::sheet`'s limits (libFuzzer's
//! `-malloc_limit_mb` catches one).
//!
//! Run: `cd server/fuzz && mkdir -p corpus/import_sheet && cargo +nightly fuzz run
//! import_sheet corpus/import_sheet seeds -- -max_total_time=600` (an xlsx is a zip: the
//! seeds let the fuzzer start past the zip's checksums; new inputs go to the first folder).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = duban_server::register::read_sheet(data);
});
