//! The JPEG header, read without decoding anything: walks the marker segments up to the
//! frame header (SOF) to learn the image's size, so that limits are checked before a decoder
//! allocates a single pixel buffer.

use super::PhotoError;

/// What the frame header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Width in pixels, as stored (before EXIF orientation).
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
    /// Colour components: 1 (grey), 3 (YCbCr) or 4 (CMYK).
    pub components: u8,
    /// Progressive (SOF2) rather than baseline or extended sequential.
    pub progressive: bool,
}

impl Header {
    /// Pixels in the image.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

fn truncated() -> PhotoError {
    PhotoError::Corrupt("the file ends inside a JPEG header".into())
}

/// Reads the frame header of a JPEG file.
pub fn header(data: &[u8]) -> Result<Header, PhotoError> {
    if data.len() < 2 || data[0] != 0xFF || data[1] != 0xD8 {
        return Err(PhotoError::NotJpeg);
    }
    let mut at = 2;
    loop {
        // A marker: one or more 0xFF fill bytes, then the marker code.
        if *data.get(at).ok_or_else(truncated)? != 0xFF {
            return Err(PhotoError::Corrupt(format!(
                "expected a marker at byte {at}"
            )));
        }
        while data.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *data.get(at).ok_or_else(truncated)?;
        at += 1;
        match marker {
            // Markers without a length: TEM, RST0–7.
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 => return Err(PhotoError::Corrupt("a second start of image".into())),
            0xD9 | 0xDA => {
                return Err(PhotoError::Corrupt(
                    "no frame header before the image data".into(),
                ))
            }
            _ => {}
        }
        let len = data
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(truncated)?;
        if len < 2 {
            return Err(PhotoError::Corrupt(format!(
                "a segment of impossible length {len}"
            )));
        }
        let body = data.get(at + 2..at + len).ok_or_else(truncated)?;
        let frame = matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF);
        if frame {
            if body.len() < 6 {
                return Err(truncated());
            }
            let height = u32::from(u16::from_be_bytes([body[1], body[2]]));
            let width = u32::from(u16::from_be_bytes([body[3], body[4]]));
            let components = body[5];
            if width == 0 || height == 0 {
                return Err(PhotoError::Corrupt("the frame header gives no size".into()));
            }
            if !matches!(marker, 0xC0..=0xC2) {
                return Err(PhotoError::Unsupported(
                    "lossless, hierarchical or arithmetic-coded JPEG".into(),
                ));
            }
            if !matches!(components, 1 | 3 | 4) {
                return Err(PhotoError::Unsupported(format!(
                    "{components} colour components"
                )));
            }
            return Ok(Header {
                width,
                height,
                components,
                progressive: marker == 0xC2,
            });
        }
        at += len;
    }
}

/// Whether the file ends its image: an end-of-image marker after the image data starts. In
/// entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so the
/// first FF D9 after the start of scan is the real end; a file cut short has none (a
/// decoder would quietly fill the missing rows with grey).
pub fn complete(data: &[u8]) -> bool {
    let Some(sos) = segments(data)
        .last()
        .filter(|(m, _)| *m == 0xDA)
        .map(|(_, body)| body.as_ptr() as usize - data.as_ptr() as usize)
    else {
        return false;
    };
    data[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// The segments of a JPEG file up to the image data, as (marker, body) — the tests use it
/// to show that no EXIF is left in an output.
pub fn segments(data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= data.len() && data[at] == 0xFF {
        let marker = data[at + 1];
        if marker == 0xD9 {
            out.push((marker, &data[at + 2..at + 2]));
            break;
        }
        if marker == 0xDA {
            // The scan header, then the image data: stop here.
            out.push((marker, &data[at + 2..]));
            break;
        }
        let len = usize::from(u16::from_be_bytes([data[at + 2], data[at + 3]]));
        let Some(body) = data.get(at + 4..at + 2 + len) else {
            break;
        };
        out.push((marker, body));
        at += 2 + len;
    }
    out
}
