//! What the camera wrote in EXIF and the pipeline keeps: orientation (applied, then
//! dropped), capture time with its offset, GPS position, maker and model. A file whose EXIF
//! cannot be read is still a photo; it just tells nothing.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use exif::{In, Reader, Tag, Value};

use crate::domain::model::GeoPoint;

/// What was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CameraRecord {
    /// EXIF orientation, 1–8 (1 when absent or out of range).
    pub orientation: u8,
    /// `DateTimeOriginal` as written, with `OffsetTimeOriginal` when present.
    pub taken: Option<(chrono::NaiveDateTime, Option<FixedOffset>)>,
    /// GPS position.
    pub location: Option<GeoPoint>,
    /// `Make`.
    pub make: Option<String>,
    /// `Model`.
    pub model: Option<String>,
}

impl CameraRecord {
    /// The capture time in the offset written with it, or else in `zone` (the phone's).
    pub fn taken_at(&self, zone: FixedOffset) -> Option<DateTime<FixedOffset>> {
        let (local, offset) = self.taken?;
        offset.unwrap_or(zone).from_local_datetime(&local).single()
    }
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => {
            let text = String::from_utf8_lossy(parts.first()?);
            let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!text.is_empty()).then(|| text.chars().take(64).collect())
        }
        _ => None,
    }
}

fn degrees(exif: &exif::Exif, tag: Tag, reference: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let [d, m, s] = parts.get(..3)? else {
        return None;
    };
    if d.denom == 0 || m.denom == 0 || s.denom == 0 {
        return None;
    }
    let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
    let sign = match &exif.get_field(reference, In::PRIMARY)?.value {
        Value::Ascii(r) if r.first().and_then(|r| r.first()) == Some(&negative) => -1.0,
        _ => 1.0,
    };
    Some(sign * value)
}

fn taken(exif: &exif::Exif) -> Option<(chrono::NaiveDateTime, Option<FixedOffset>)> {
    let Value::Ascii(parts) = &exif.get_field(Tag::DateTimeOriginal, In::PRIMARY)?.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(parts.first()?).ok()?;
    if let Some(Value::Ascii(off)) = exif
        .get_field(Tag::OffsetTimeOriginal, In::PRIMARY)
        .map(|f| &f.value)
    {
        if let Some(off) = off.first() {
            let _ = dt.parse_offset(off);
        }
    }
    let local = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?
        .and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
    let offset = dt
        .offset
        .and_then(|m| FixedOffset::east_opt(i32::from(m) * 60));
    Some((local, offset))
}

/// Reads the camera's record from a JPEG file's EXIF.
pub fn read(data: &[u8]) -> CameraRecord {
    let Ok(exif) = Reader::new().read_from_container(&mut std::io::Cursor::new(data)) else {
        return CameraRecord {
            orientation: 1,
            ..CameraRecord::default()
        };
    };
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1) as u8;
    let location = match (
        degrees(&exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S'),
        degrees(&exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W'),
    ) {
        (Some(lat), Some(lon)) => GeoPoint::from_degrees(lat, lon),
        _ => None,
    };
    CameraRecord {
        orientation,
        taken: taken(&exif),
        location,
        make: ascii(&exif, Tag::Make),
        model: ascii(&exif, Tag::Model),
    }
}
