//! The photo pipeline's decode path on arbitrary bytes: the header walk, the limits, EXIF,
//! the decoder, resizing, the watermark and encoding. Any input must end in `Ok` or a
//! `PhotoError` — never a panic, a hang or an allocation past the limits.
//!
//! Run: `cd core/fuzz && cargo +nightly fuzz run photo_decode -- -max_total_time=600`
//! (seed it with real JPEGs in `corpus/photo_decode/` to go deep fast).

#![no_main]

use chrono::{FixedOffset, TimeZone};
use duban_core::domain::model::PhotoSource;
use duban_core::photo::{process, Capture, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let capture = Capture {
        source: PhotoSource::Camera,
        device_time: FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 30, 9, 41, 27)
            .unwrap(),
        device_location: None,
        place: None,
        item_number: Some("改〔2026〕3号".into()),
        person: "李明".into(),
        answers: None,
    };
    // Small limits keep each run fast; the code paths are the same.
    let options = Options {
        long_edge: 256,
        thumb_edge: 64,
        max_pixels: 4_000_000,
        ..Options::default()
    };
    let _ = process(data, &capture, &options);
});
