//! The photo pipeline on real JPEGs made here: an upright test card is encoded, optionally
//! stored turned by one of the eight EXIF orientations, given an EXIF block with a capture
//! time, offset, GPS, maker and model, and run through `photo::process`.

use chrono::{DateTime, FixedOffset, TimeZone};
use duban_core::domain::model::{GeoPoint, PhotoSource, TimeSource};
use duban_core::photo::raster::Rgb;
use duban_core::photo::{self, jpeg, Capture, Options, PhotoError};

/// The test card: four quadrants (red, green / blue, yellow) so that any turn or mirror
/// shows, over a fine texture so that it compresses like a photo.
pub fn card(width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let left = x < width / 2;
            let top = y < height / 2;
            let base: [u8; 3] = match (top, left) {
                (true, true) => [220, 30, 30],
                (true, false) => [30, 200, 40],
                (false, true) => [30, 40, 220],
                (false, false) => [230, 220, 40],
            };
            let grain = ((x * 7 + y * 13) % 17) as u8;
            data.extend(base.map(|c| c.saturating_sub(8).saturating_add(grain)));
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// Encodes an RGB image as a baseline 4:2:0 JPEG (as a phone's camera does).
pub fn encode(img: &Rgb, quality: u8) -> Vec<u8> {
    photo::encode(img, quality).expect("encode")
}

/// What the test camera writes into EXIF.
#[derive(Clone, Debug)]
pub struct Exif {
    pub orientation: u16,
    pub taken: Option<(&'static str, Option<&'static str>)>,
    /// (lat, lon) in degrees, minutes, seconds with N/S and E/W.
    pub gps: Option<([u32; 3], u8, [u32; 3], u8)>,
    pub make: &'static str,
    pub model: &'static str,
}

impl Default for Exif {
    fn default() -> Exif {
        Exif {
            orientation: 1,
            taken: Some(("2026:11:30 09:41:27", Some("+08:00"))),
            gps: Some(([39, 54, 32], b'N', [116, 23, 51], b'E')),
            make: "HUAWEI",
            model: "Mate 60",
        }
    }
}

/// A TIFF directory: (tag, type, count, value bytes).
struct Ifd(Vec<(u16, u16, u32, Vec<u8>)>);

fn ascii(s: &str) -> (u16, u32, Vec<u8>) {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    (2, b.len() as u32, b)
}

fn rationals(parts: [u32; 3]) -> (u16, u32, Vec<u8>) {
    let mut b = Vec::new();
    for p in parts {
        b.extend(p.to_le_bytes());
        b.extend(1u32.to_le_bytes());
    }
    (5, 3, b)
}

impl Ifd {
    fn add(&mut self, tag: u16, (typ, count, bytes): (u16, u32, Vec<u8>)) {
        self.0.push((tag, typ, count, bytes));
    }

    fn size(&self) -> usize {
        2 + 12 * self.0.len()
            + 4
            + self
                .0
                .iter()
                .map(|e| if e.3.len() > 4 { e.3.len() } else { 0 })
                .sum::<usize>()
    }

    /// Writes the directory at `at` (offset from the TIFF header); values after it.
    fn write(&self, out: &mut Vec<u8>, at: usize) {
        let mut entries = self.0.clone();
        entries.sort_by_key(|e| e.0);
        let mut data_at = at + 2 + 12 * entries.len() + 4;
        let mut data: Vec<u8> = Vec::new();
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, typ, count, bytes) in &entries {
            out.extend(tag.to_le_bytes());
            out.extend(typ.to_le_bytes());
            out.extend(count.to_le_bytes());
            if bytes.len() <= 4 {
                let mut v = bytes.clone();
                v.resize(4, 0);
                out.extend(v);
            } else {
                out.extend((data_at as u32).to_le_bytes());
                data.extend(bytes);
                data_at += bytes.len();
            }
        }
        out.extend(0u32.to_le_bytes());
        out.extend(data);
    }
}

/// The APP1 segment body ("Exif\0\0" + TIFF) for `exif`.
pub fn exif_block(exif: &Exif) -> Vec<u8> {
    let mut ifd0 = Ifd(Vec::new());
    ifd0.add(0x0112, (3, 1, exif.orientation.to_le_bytes().to_vec()));
    ifd0.add(0x010F, ascii(exif.make));
    ifd0.add(0x0110, ascii(exif.model));
    let mut sub = Ifd(Vec::new());
    if let Some((t, off)) = exif.taken {
        sub.add(0x9003, ascii(t));
        if let Some(o) = off {
            sub.add(0x9011, ascii(o));
        }
    }
    let mut gps = Ifd(Vec::new());
    if let Some((lat, ns, lon, ew)) = exif.gps {
        gps.add(0x0001, (2, 2, vec![ns, 0]));
        gps.add(0x0002, rationals(lat));
        gps.add(0x0003, (2, 2, vec![ew, 0]));
        gps.add(0x0004, rationals(lon));
    }
    // Pointers to the sub-directories; their offsets are known once IFD0's size is.
    ifd0.add(0x8769, (4, 1, vec![0; 4]));
    ifd0.add(0x8825, (4, 1, vec![0; 4]));
    let sub_at = 8 + ifd0.size();
    let gps_at = sub_at + sub.size();
    for e in &mut ifd0.0 {
        if e.0 == 0x8769 {
            e.3 = (sub_at as u32).to_le_bytes().to_vec();
        }
        if e.0 == 0x8825 {
            e.3 = (gps_at as u32).to_le_bytes().to_vec();
        }
    }
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    ifd0.write(&mut tiff, 8);
    sub.write(&mut tiff, sub_at);
    gps.write(&mut tiff, gps_at);
    let mut body = b"Exif\0\0".to_vec();
    body.extend(tiff);
    body
}

/// A JPEG with an APP1 EXIF segment right after SOI.
pub fn with_exif(jpeg: &[u8], exif: &Exif) -> Vec<u8> {
    let body = exif_block(exif);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((body.len() + 2) as u16).to_be_bytes());
    out.extend(body);
    out.extend(&jpeg[2..]);
    out
}

/// The upright card stored as a camera with that EXIF orientation stores it.
fn stored_as(up: &Rgb, orientation: u16) -> Rgb {
    let (w, h) = (up.width, up.height);
    let swap = orientation >= 5;
    let (sw, sh) = if swap { (h, w) } else { (w, h) };
    let mut data = vec![0; up.data.len()];
    // For each upright pixel, where the camera put it.
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = match orientation {
                1 => (x, y),
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                // Shown after a quarter turn clockwise: stored a quarter turn anticlockwise.
                6 => (y, w - 1 - x),
                7 => (h - 1 - y, w - 1 - x),
                8 => (h - 1 - y, x),
                _ => unreachable!(),
            };
            let from = ((y * w + x) * 3) as usize;
            let to = ((sy * sw + sx) * 3) as usize;
            data[to..to + 3].copy_from_slice(&up.data[from..from + 3]);
        }
    }
    Rgb {
        width: sw,
        height: sh,
        data,
    }
}

pub fn capture() -> Capture {
    Capture {
        source: PhotoSource::Camera,
        device_time: FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 30, 9, 45, 0)
            .unwrap(),
        device_location: None,
        place: Some("城关镇解放路".into()),
        item_number: Some("改〔2026〕3号".into()),
        person: "李明".into(),
        answers: None,
    }
}

fn decode(data: &[u8]) -> Rgb {
    let mut d = jpeg_decoder::Decoder::new(data);
    let px = d.decode().expect("decodes");
    let info = d.info().unwrap();
    Rgb {
        width: u32::from(info.width),
        height: u32::from(info.height),
        data: px,
    }
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() < 48)
}

#[test]
fn each_of_the_eight_orientations_ends_upright() {
    let up = card(1200, 800);
    for orientation in 1..=8u16 {
        let stored = stored_as(&up, orientation);
        let file = with_exif(
            &encode(&stored, 92),
            &Exif {
                orientation,
                ..Exif::default()
            },
        );
        let out = photo::process(&file, &capture(), &Options::default()).expect("processes");
        let img = decode(&out.image);
        assert_eq!(
            (img.width, img.height),
            (1200, 800),
            "orientation {orientation}"
        );
        let b = out.band;
        for (x, y, colour) in [
            (300, 200, [220, 30, 30]),
            (900, 200, [30, 200, 40]),
            (900, 600, [230, 220, 40]),
            (300, 500, [30, 40, 220]),
        ] {
            assert!(
                !(x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height),
                "sample inside the watermark"
            );
            assert!(
                near(img.pixel(x, y), colour),
                "orientation {orientation}: ({x}, {y}) is {:?}, expected {colour:?}",
                img.pixel(x, y)
            );
        }
    }
}

/// Mean luminance of a rectangle.
fn luma(img: &Rgb, x0: u32, y0: u32, w: u32, h: u32) -> Vec<f32> {
    let mut out = Vec::new();
    for y in y0..(y0 + h).min(img.height) {
        for x in x0..(x0 + w).min(img.width) {
            let [r, g, b] = img.pixel(x, y);
            out.push(0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b));
        }
    }
    out
}

#[test]
fn the_watermark_is_burned_in_and_reads_on_bright_and_dark_scenes() {
    for (scene, grey) in [("bright", 245u8), ("dark", 12u8)] {
        let plain = Rgb {
            width: 1600,
            height: 1200,
            data: vec![grey; 1600 * 1200 * 3],
        };
        let out = photo::process(&encode(&plain, 92), &capture(), &Options::default())
            .expect("processes");
        std::fs::write(
            std::env::temp_dir().join(format!("duban-watermark-{scene}.jpg")),
            &out.image,
        )
        .expect("write the fixture for a person to look at");
        let img = decode(&out.image);
        let b = out.band;
        assert!(b.width > 300 && b.height > 80, "{scene}: band {b:?}");
        assert!(b.y + b.height <= 1200 && b.x + b.width <= 1600);
        // The band differs from the source...
        let band = luma(&img, b.x, b.y, b.width, b.height);
        let mean_diff: f32 = band
            .iter()
            .map(|l| (l - f32::from(grey)).abs())
            .sum::<f32>()
            / band.len() as f32;
        assert!(
            mean_diff > 20.0,
            "{scene}: the band differs from the scene by {mean_diff}"
        );
        // ...the rest does not...
        let rest = luma(&img, 0, 0, 1600, b.y.saturating_sub(4));
        let rest_diff: f32 = rest
            .iter()
            .map(|l| (l - f32::from(grey)).abs())
            .sum::<f32>()
            / rest.len() as f32;
        assert!(
            rest_diff < 3.0,
            "{scene}: outside the band changed by {rest_diff}"
        );
        // ...and inside it there is white text on a dark ground: legible either way.
        let bright = band.iter().filter(|l| **l > 200.0).count();
        let dark = band.iter().filter(|l| **l < 110.0).count();
        assert!(bright > band.len() / 50, "{scene}: text pixels {bright}");
        assert!(dark > band.len() / 3, "{scene}: ground pixels {dark}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes_and_hash() {
    let file = with_exif(&encode(&card(2000, 1500), 90), &Exif::default());
    let a = photo::process(&file, &capture(), &Options::default()).unwrap();
    let b = photo::process(&file, &capture(), &Options::default()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.evidence.hash, blake3::hash(&a.image).to_hex().as_str());
    let meta = a.evidence.photo.as_deref().unwrap();
    assert_eq!(
        meta.thumbnail.hash,
        blake3::hash(&a.thumbnail).to_hex().as_str()
    );
    assert_eq!(a.evidence.size, a.image.len() as u64);
    // A different person on the watermark is a different photo.
    let mut other = capture();
    other.person = "王芳".into();
    let c = photo::process(&file, &other, &Options::default()).unwrap();
    assert_ne!(a.evidence.hash, c.evidence.hash);
}

#[test]
fn sizes_are_the_long_edge_and_the_thumbnail_and_chroma_is_4_2_0() {
    let file = encode(&card(4000, 3000), 90);
    let out = photo::process(&file, &capture(), &Options::default()).unwrap();
    let img = decode(&out.image);
    assert_eq!((img.width, img.height), (1600, 1200));
    let th = decode(&out.thumbnail);
    assert_eq!((th.width, th.height), (320, 240));
    let meta = out.evidence.photo.as_deref().unwrap();
    assert_eq!((meta.width, meta.height), (1600, 1200));
    for data in [&out.image, &out.thumbnail] {
        let sof = jpeg::segments(data)
            .into_iter()
            .find(|(m, _)| *m == 0xC0)
            .expect("baseline frame");
        // Components: id, sampling (h<<4|v), table; luma 2×2, chroma 1×1.
        assert_eq!(sof.1[5], 3);
        assert_eq!(sof.1[7], 0x22, "luma sampling");
        assert_eq!(sof.1[10], 0x11, "Cb sampling");
        assert_eq!(sof.1[13], 0x11, "Cr sampling");
    }
    // A small photo is not enlarged.
    let small = photo::process(
        &encode(&card(800, 600), 90),
        &capture(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        (decode(&small.image).width, decode(&small.image).height),
        (800, 600)
    );
}

/// A JPEG that is only a header claiming `width × height`.
fn bare_header(width: u16, height: u16) -> Vec<u8> {
    let mut f = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    f.extend(height.to_be_bytes());
    f.extend(width.to_be_bytes());
    f.extend([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    f.extend([0xFF, 0xD9]);
    f
}

#[test]
fn a_header_claiming_100_megapixels_is_refused_before_decoding() {
    for (w, h) in [(10_000, 10_000), (12_000, 9_000), (65_535, 65_535)] {
        // Nothing but the header: had the decoder been asked, it would say "damaged".
        let e = photo::process(&bare_header(w, h), &capture(), &Options::default()).unwrap_err();
        assert!(
            matches!(e, PhotoError::TooManyPixels { width, height, .. } if (width, height) == (u32::from(w), u32::from(h))),
            "{w}×{h}: {e:?}"
        );
        assert_eq!(e.code(), "photo.too_many_pixels");
        assert!(e.zh().contains("像素") && e.en().contains("megapixels"));
    }
    // The same check on a real file behind EXIF, and the byte limit.
    let real = with_exif(&encode(&card(1000, 800), 90), &Exif::default());
    let tight = Options {
        max_pixels: 500_000,
        ..Options::default()
    };
    assert_eq!(
        photo::process(&real, &capture(), &tight)
            .unwrap_err()
            .code(),
        "photo.too_many_pixels"
    );
    let tiny = Options {
        max_bytes: 1000,
        ..Options::default()
    };
    assert_eq!(
        photo::process(&real, &capture(), &tiny).unwrap_err().code(),
        "photo.too_large"
    );
}

#[test]
fn a_truncated_or_damaged_jpeg_gives_an_error_not_a_panic() {
    let file = with_exif(&encode(&card(1200, 900), 90), &Exif::default());
    for cut in [
        3,
        20,
        200,
        file.len() / 4,
        file.len() / 2,
        file.len() - 200,
        file.len() - 2,
    ] {
        let e = photo::process(&file[..cut], &capture(), &Options::default()).unwrap_err();
        assert_eq!(e.code(), "photo.corrupt", "cut at {cut}: {e:?}");
        assert!(!e.zh().is_empty() && !e.en().is_empty());
    }
    for junk in [&b""[..], b"hello", b"\x89PNG\r\n\x1a\n0000000000000000"] {
        assert_eq!(
            photo::process(junk, &capture(), &Options::default())
                .unwrap_err()
                .code(),
            "photo.not_jpeg"
        );
    }
    // Thousands of mangled files (flipped bytes, cut lengths, forged lengths): every one
    // ends in Ok or an error, never a panic or a hang. The fuzz target (core/fuzz) runs the
    // same path for longer.
    let small = with_exif(&encode(&card(160, 120), 80), &Exif::default());
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut errors = 0;
    for _ in 0..3000 {
        let mut f = small.clone();
        for _ in 0..1 + next() % 6 {
            let i = (next() as usize) % f.len();
            f[i] = next() as u8;
        }
        if next() % 4 == 0 {
            f.truncate((next() as usize) % f.len());
        }
        if photo::process(&f, &capture(), &Options::default()).is_err() {
            errors += 1;
        }
    }
    assert!(
        errors > 100,
        "the mangling must break files ({errors} errors)"
    );
}

/// The metadata the pipeline keeps of a file.
fn meta_of(file: &[u8], capture: &Capture) -> duban_core::domain::model::PhotoMeta {
    *photo::process(file, capture, &Options::default())
        .expect("processes")
        .evidence
        .photo
        .expect("photo metadata")
}

/// An 800×600 camera file with this EXIF.
fn shot_with(exif: Exif) -> Vec<u8> {
    with_exif(&encode(&card(800, 600), 90), &exif)
}

#[test]
fn gps_and_capture_time_survive_as_metadata_and_no_exif_is_left() {
    let file = with_exif(&encode(&card(1600, 1200), 90), &Exif::default());
    assert!(
        jpeg::segments(&file).iter().any(|(m, _)| *m == 0xE1),
        "the input has EXIF"
    );
    let out = photo::process(&file, &capture(), &Options::default()).unwrap();
    let meta = out.evidence.photo.as_deref().unwrap();
    let expected: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-11-30T09:41:27+08:00").unwrap();
    assert_eq!(meta.captured_at, expected);
    assert_eq!(meta.captured_at.offset().local_minus_utc(), 8 * 3600);
    assert_eq!(meta.time_source, TimeSource::Exif);
    let gps = meta.location.expect("GPS kept");
    assert!((gps.lat() - (39.0 + 54.0 / 60.0 + 32.0 / 3600.0)).abs() < 1e-6);
    assert!((gps.lon() - (116.0 + 23.0 / 60.0 + 51.0 / 3600.0)).abs() < 1e-6);
    assert_eq!(meta.make.as_deref(), Some("HUAWEI"));
    assert_eq!(meta.model.as_deref(), Some("Mate 60"));
    assert_eq!(meta.place.as_deref(), Some("城关镇解放路"));
    assert_eq!(meta.source, PhotoSource::Camera);
    for data in [&out.image, &out.thumbnail] {
        let segs = jpeg::segments(data);
        assert!(
            segs.iter().all(|(m, _)| !(0xE1..=0xEF).contains(m)),
            "only JFIF is left: {:?}",
            segs.iter().map(|s| s.0).collect::<Vec<_>>()
        );
        assert!(!data.windows(4).any(|w| w == b"Exif"), "no EXIF anywhere");
        assert!(
            !data.windows(6).any(|w| w == b"HUAWEI"),
            "no maker anywhere"
        );
    }
    // Metadata round-trips through the evidence record as the trail stores it.
    let json = serde_json::to_string(&out.evidence).unwrap();
    assert!(
        json.contains("\"captured_at\":\"2026-11-30T09:41:27+08:00\""),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<duban_core::domain::model::BlobRef>(&json).unwrap(),
        out.evidence
    );

    // West and south; an offset of its own; no GPS and no time: the phone's are used.
    let meta = meta_of(
        &shot_with(Exif {
            taken: Some(("2026:07:01 23:10:00", Some("-05:00"))),
            gps: Some(([33, 52, 4], b'S', [151, 12, 26], b'W')),
            ..Exif::default()
        }),
        &capture(),
    );
    assert_eq!(meta.captured_at.to_rfc3339(), "2026-07-01T23:10:00-05:00");
    assert!(meta.location.unwrap().lat() < -33.0 && meta.location.unwrap().lon() < -151.0);
    let bare = encode(&card(800, 600), 90);
    let mut cap = capture();
    cap.device_location = GeoPoint::from_degrees(36.81, 118.05);
    cap.source = PhotoSource::Gallery;
    let meta = meta_of(&bare, &cap);
    assert_eq!(meta.time_source, TimeSource::Device);
    assert_eq!(meta.captured_at, cap.device_time);
    assert_eq!(meta.location, cap.device_location);
    assert_eq!(meta.source, PhotoSource::Gallery);
    assert_eq!(meta.make, None);
    // A time without an offset is read in the phone's offset.
    let meta = meta_of(
        &shot_with(Exif {
            taken: Some(("2026:11:30 08:00:00", None)),
            ..Exif::default()
        }),
        &capture(),
    );
    assert_eq!(meta.captured_at.to_rfc3339(), "2026-11-30T08:00:00+08:00");
}

#[test]
fn the_watermark_lines_say_when_where_which_item_and_who() {
    let file = with_exif(&encode(&card(800, 600), 90), &Exif::default());
    let out = photo::process(&file, &capture(), &Options::default()).unwrap();
    let meta = out.evidence.photo.as_deref().unwrap();
    let lines = photo::stamp_lines(meta, &capture());
    assert_eq!(
        lines,
        vec![
            "2026-11-30 09:41:27 UTC+08:00".to_owned(),
            "城关镇解放路 · 北纬 39.908889° 东经 116.397500°".to_owned(),
            "改〔2026〕3号 · 李明".to_owned(),
        ]
    );
    let mut gallery = capture();
    gallery.source = PhotoSource::Gallery;
    assert_eq!(
        photo::stamp_lines(meta, &gallery).last().unwrap(),
        "相册导入 · 非现场拍摄"
    );
}

#[test]
fn every_watermark_character_is_in_the_shipped_font() {
    use ab_glyph::Font;
    let font = ab_glyph::FontRef::try_from_slice(photo::watermark::FONT).expect("the font parses");
    for c in "0123456789-:+ UTC·°〔〕号北纬东经南纬西经位置未知相册导入非现场拍摄改督李明王芳城关镇解放路…".chars() {
        assert_ne!(font.glyph_id(c).0, 0, "{c} is missing");
    }
    assert!(
        photo::watermark::FONT.len() < 2 * 1024 * 1024,
        "small enough for a phone app"
    );
}

#[test]
fn progressive_grey_and_cmyk_files_process_with_their_colours() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for name in ["baseline.jpg", "progressive.jpg", "grey.jpg", "cmyk.jpg"] {
        let data = std::fs::read(dir.join(name)).expect("a committed sample");
        let out = photo::process(&data, &capture(), &Options::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let meta = out.evidence.photo.as_deref().unwrap();
        let img = decode(&out.image);
        assert_eq!((img.width, img.height), (meta.width, meta.height), "{name}");
    }
    // Colours survive CMYK (Adobe, inverted) and grey files: sample the top right corner.
    for (name, expected) in [
        ("red-cmyk.jpg", [208, 32, 32]),
        ("red-grey.jpg", [78, 78, 78]),
    ] {
        let data = std::fs::read(dir.join(name)).unwrap();
        let img = decode(
            &photo::process(&data, &capture(), &Options::default())
                .unwrap()
                .image,
        );
        let got = img.pixel(img.width - 2, 1);
        assert!(
            near(got, expected),
            "{name}: {got:?}, expected about {expected:?}"
        );
    }
}
