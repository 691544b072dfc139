//! The on-site photo pipeline (R5.2, R5.4). A JPEG from the camera goes in; out come the
//! evidence image (long edge 1600 px), its 320 px thumbnail and what is known of the shot:
//!
//! 1. the header is read and the limits checked (bytes, pixels) before anything is decoded,
//!    so a decompression bomb costs nothing;
//! 2. the camera's EXIF gives orientation, capture time and offset, GPS, maker and model;
//! 3. the image is decoded at the smallest DCT scale that still covers the long edge (a
//!    12-megapixel photo decodes at half size), shrunk (Lanczos-3) and turned upright;
//! 4. the watermark is burned in: capture time with its offset, place (coordinates and the
//!    app's place name), item number and the person's name — and "from the gallery" when it
//!    is;
//! 5. both variants are encoded as JPEG with 4:2:0 chroma and hashed with blake3. No EXIF is
//!    written: the metadata travels apart, in the evidence record ([`PhotoMeta`]) that the
//!    citing event hashes into the trail.
//!
//! Everything is deterministic: the same input and capture give the same bytes.

mod exif;
pub mod jpeg;
pub mod raster;
pub mod watermark;

use chrono::{DateTime, FixedOffset};
use thiserror::Error;

use crate::domain::model::{BlobRef, GeoPoint, PhotoMeta, PhotoSource, TimeSource};
pub use exif::CameraRecord;
use raster::Rgb;

/// A place name longer than this is cut (the watermark cuts what does not fit anyway).
pub const MAX_PLACE_CHARS: usize = 100;

/// The pipeline's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The evidence image's long edge: 1600 px.
    pub long_edge: u32,
    /// The thumbnail's long edge: 320 px.
    pub thumb_edge: u32,
    /// JPEG quality of the evidence image: 85.
    pub quality: u8,
    /// JPEG quality of the thumbnail: 75.
    pub thumb_quality: u8,
    /// Larger files are refused unread: 40 MiB.
    pub max_bytes: usize,
    /// Images with more pixels are refused before decoding: 64 megapixels.
    pub max_pixels: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            long_edge: 1600,
            thumb_edge: 320,
            quality: 85,
            thumb_quality: 75,
            max_bytes: 40 * 1024 * 1024,
            max_pixels: 64_000_000,
        }
    }
}

/// What the app knows of the shot besides the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// Camera or gallery.
    pub source: PhotoSource,
    /// The phone's clock when the photo was taken (or picked), in the phone's offset. Used
    /// when the file has no capture time; its offset is used when the file's time has none.
    pub device_time: DateTime<FixedOffset>,
    /// The phone's position fix, used when the file has no GPS.
    pub device_location: Option<GeoPoint>,
    /// The place's name, if the app has one (e.g. from the item's address).
    pub place: Option<String>,
    /// The item's number, e.g. `改〔2026〕3号`.
    pub item_number: Option<String>,
    /// Who took it.
    pub person: String,
    /// For an "after" photo: the hash of the "before" photo it answers.
    pub answers: Option<String>,
}

/// The pipeline's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The evidence image (JPEG).
    pub image: Vec<u8>,
    /// Its thumbnail (JPEG).
    pub thumbnail: Vec<u8>,
    /// The evidence record: hash, size, and the metadata kept apart.
    pub evidence: BlobRef,
    /// Where the watermark is in the evidence image.
    pub band: watermark::Band,
}

/// Why a photo could not be processed. Every variant has a stable code and a sentence in
/// Chinese and English; none panics.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// Over the byte limit.
    #[error("the file has {size} bytes, over the limit of {max}")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Over the pixel limit (a decompression bomb, or a panorama too big for a phone).
    #[error("the image claims {width}×{height} pixels, over the limit of {max}")]
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
        /// The limit in pixels.
        max: u64,
    },
    /// Not a JPEG file at all.
    #[error("not a JPEG file")]
    NotJpeg,
    /// A JPEG the pipeline does not handle.
    #[error("unsupported JPEG: {0}")]
    Unsupported(String),
    /// Damaged or cut short.
    #[error("damaged JPEG: {0}")]
    Corrupt(String),
    /// A fault of the pipeline itself.
    #[error("photo pipeline: {0}")]
    Internal(String),
}

impl PhotoError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::TooLarge { .. } => "photo.too_large",
            PhotoError::TooManyPixels { .. } => "photo.too_many_pixels",
            PhotoError::NotJpeg => "photo.not_jpeg",
            PhotoError::Unsupported(_) => "photo.unsupported",
            PhotoError::Corrupt(_) => "photo.corrupt",
            PhotoError::Internal(_) => "photo.internal",
        }
    }

    /// In Chinese.
    pub fn zh(&self) -> String {
        match self {
            PhotoError::TooLarge { size, max } => format!(
                "文件过大({} MB),上限为 {} MB",
                size / (1024 * 1024),
                max / (1024 * 1024)
            ),
            PhotoError::TooManyPixels { width, height, max } => format!(
                "图像尺寸 {width}×{height} 超过 {} 万像素的上限,请用标准分辨率拍摄",
                max / 10_000
            ),
            PhotoError::NotJpeg => "不是 JPEG 照片".into(),
            PhotoError::Unsupported(what) => format!("不支持的 JPEG 格式({what})"),
            PhotoError::Corrupt(what) => format!("照片文件已损坏或不完整({what})"),
            PhotoError::Internal(what) => format!("照片处理出错({what})"),
        }
    }

    /// In English.
    pub fn en(&self) -> String {
        match self {
            PhotoError::TooManyPixels { width, height, max } => format!(
                "the image is {width}×{height}, over the limit of {} megapixels; take it at the standard resolution",
                max / 1_000_000
            ),
            PhotoError::Corrupt(what) => format!("the photo file is damaged or incomplete ({what})"),
            other => other.to_string(),
        }
    }
}

/// Checks a file against the limits without decoding it; returns its header.
pub fn check(data: &[u8], options: &Options) -> Result<jpeg::Header, PhotoError> {
    if data.len() > options.max_bytes {
        return Err(PhotoError::TooLarge {
            size: data.len(),
            max: options.max_bytes,
        });
    }
    let header = jpeg::header(data)?;
    if header.pixels() > options.max_pixels {
        return Err(PhotoError::TooManyPixels {
            width: header.width,
            height: header.height,
            max: options.max_pixels,
        });
    }
    if !jpeg::complete(data) {
        return Err(PhotoError::Corrupt(
            "the file ends before its image does".into(),
        ));
    }
    Ok(header)
}

/// Decodes at the smallest DCT scale (1/8 … 1) whose result still covers `long_edge`.
fn decode(data: &[u8], header: &jpeg::Header, long_edge: u32) -> Result<Rgb, PhotoError> {
    let (want_w, want_h) = Rgb::fitted(header.width, header.height, long_edge);
    let run = || -> Result<Rgb, PhotoError> {
        let mut decoder = jpeg_decoder::Decoder::new(std::io::Cursor::new(data));
        decoder
            .read_info()
            .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
        let (w, h) = decoder
            .scale(
                want_w.min(u32::from(u16::MAX)) as u16,
                want_h.min(u32::from(u16::MAX)) as u16,
            )
            .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
        let pixels = decoder
            .decode()
            .map_err(|e| PhotoError::Corrupt(e.to_string()))?;
        let info = decoder
            .info()
            .ok_or_else(|| PhotoError::Corrupt("no frame".into()))?;
        let (w, h) = (u32::from(w), u32::from(h));
        let n = w as usize * h as usize;
        let data = match info.pixel_format {
            jpeg_decoder::PixelFormat::RGB24 => pixels,
            jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
            jpeg_decoder::PixelFormat::L16 => pixels
                .chunks_exact(2)
                .flat_map(|v| [v[0], v[0], v[0]])
                .collect(),
            jpeg_decoder::PixelFormat::CMYK32 => pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    // Ink amounts (0 none, 255 full; the decoder undoes Adobe's inversion).
                    let paper = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * paper / 255) as u8)
                })
                .collect(),
        };
        if data.len() != n * 3 {
            return Err(PhotoError::Corrupt(
                "the decoded image has the wrong size".into(),
            ));
        }
        Ok(Rgb {
            width: w,
            height: h,
            data,
        })
    };
    // The decoder is pure Rust and has been fuzzed; should it still panic on some input, the
    // photo is refused as damaged instead of taking the app down.
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        Err(PhotoError::Corrupt(
            "the decoder could not read the image".into(),
        ))
    })
}

/// Encodes an RGB image as a baseline JPEG with 4:2:0 chroma and nothing but a JFIF header
/// (the tests and benchmarks make their camera files with it too).
pub fn encode(img: &Rgb, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(img.data.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    let (w, h) = (
        u16::try_from(img.width).map_err(|_| PhotoError::Internal("too wide to encode".into()))?,
        u16::try_from(img.height).map_err(|_| PhotoError::Internal("too tall to encode".into()))?,
    );
    encoder
        .encode(&img.data, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PhotoError::Internal(e.to_string()))?;
    Ok(out)
}

/// Degrees as the watermark shows them: 北纬 39.908900° 东经 116.397400°.
fn place_line(location: Option<GeoPoint>, place: Option<&str>) -> String {
    let coords = match location {
        Some(p) => format!(
            "{} {:.6}° {} {:.6}°",
            if p.lat_e7 < 0 { "南纬" } else { "北纬" },
            p.lat().abs(),
            if p.lon_e7 < 0 { "西经" } else { "东经" },
            p.lon().abs()
        ),
        None => "位置未知 no location".to_owned(),
    };
    match place {
        Some(name) if !name.trim().is_empty() => format!("{} · {coords}", name.trim()),
        _ => coords,
    }
}

/// The watermark's lines for a shot.
pub fn stamp_lines(meta: &PhotoMeta, capture: &Capture) -> Vec<String> {
    let mut lines = vec![
        format!(
            "{} {}",
            meta.captured_at.format("%Y-%m-%d %H:%M:%S"),
            meta.captured_at.format("UTC%:z")
        ),
        place_line(meta.location, meta.place.as_deref()),
    ];
    let who = capture.person.trim();
    lines.push(match capture.item_number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => format!("{n} · {who}"),
        _ => who.to_owned(),
    });
    if capture.source == PhotoSource::Gallery {
        lines.push("相册导入 · 非现场拍摄".to_owned());
    }
    lines
}

/// The hex blake3 hash that names a file.
pub fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Runs the pipeline on a JPEG file.
pub fn process(data: &[u8], capture: &Capture, options: &Options) -> Result<Processed, PhotoError> {
    let header = check(data, options)?;
    let camera = exif::read(data);
    let mut img = decode(data, &header, options.long_edge)?
        .shrunk(options.long_edge)?
        .upright(camera.orientation);
    let (captured_at, time_source) = match camera.taken_at(*capture.device_time.offset()) {
        Some(t) => (t, TimeSource::Exif),
        None => (capture.device_time, TimeSource::Device),
    };
    let thumb_name = "thumbnail.jpg";
    let mut meta = PhotoMeta {
        captured_at,
        time_source,
        location: camera.location.or(capture.device_location),
        place: capture
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.chars().take(MAX_PLACE_CHARS).collect()),
        make: camera.make,
        model: camera.model,
        source: capture.source,
        width: img.width,
        height: img.height,
        thumbnail: BlobRef::file(String::new(), "image/jpeg", 0, thumb_name),
        answers: capture.answers.clone(),
    };
    let band = watermark::burn(&mut img, &stamp_lines(&meta, capture))?;
    let image = encode(&img, options.quality)?;
    let thumbnail = encode(&img.shrunk(options.thumb_edge)?, options.thumb_quality)?;
    meta.thumbnail = BlobRef::file(
        hash_of(&thumbnail),
        "image/jpeg",
        thumbnail.len() as u64,
        thumb_name,
    );
    let mut evidence = BlobRef::file(
        hash_of(&image),
        "image/jpeg",
        image.len() as u64,
        "photo.jpg",
    );
    evidence.photo = Some(Box::new(meta));
    Ok(Processed {
        image,
        thumbnail,
        evidence,
        band,
    })
}
