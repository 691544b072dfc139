//! The burned-in watermark: a dark translucent box in the lower left corner with an accent
//! bar and white text (with a shadow), so that it reads on a bright sky and in a dark
//! culvert alike. The font is Noto Sans CJK SC Bold cut to GB 2312 (`core/data/fonts/`, SIL
//! Open Font License); a character outside it shows as the font's empty box.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

use super::raster::Rgb;
use super::PhotoError;

/// The font, compiled in.
pub const FONT: &[u8] = include_bytes!("../../data/fonts/NotoSansCJKsc-Bold-subset.otf");

/// The accent bar's colour (督办 orange).
const ACCENT: [u8; 3] = [0xF5, 0x7C, 0x00];

fn font() -> Result<&'static FontRef<'static>, PhotoError> {
    static PARSED: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    PARSED
        .get_or_init(|| FontRef::try_from_slice(FONT).ok())
        .as_ref()
        .ok_or_else(|| PhotoError::Internal("the watermark font does not parse".into()))
}

/// Where the box went, for the tests and the reviewer's eye.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Band {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

fn width_of(font: &FontRef<'_>, scale: PxScale, text: &str) -> f32 {
    let f = font.as_scaled(scale);
    text.chars().map(|c| f.h_advance(font.glyph_id(c))).sum()
}

/// The line cut (with "…") to fit `max` pixels.
fn fit(font: &FontRef<'_>, scale: PxScale, text: &str, max: f32) -> String {
    if width_of(font, scale, text) <= max {
        return text.to_owned();
    }
    let mut out: String = text.to_owned();
    while !out.is_empty() && width_of(font, scale, &format!("{out}…")) > max {
        out.pop();
    }
    format!("{out}…")
}

fn blend(img: &mut Rgb, x: i64, y: i64, colour: [u8; 3], alpha: f32) {
    if x < 0 || y < 0 || x >= i64::from(img.width) || y >= i64::from(img.height) {
        return;
    }
    let a = alpha.clamp(0.0, 1.0);
    let i = (y as usize * img.width as usize + x as usize) * 3;
    for (k, c) in colour.iter().enumerate() {
        let p = f32::from(img.data[i + k]);
        img.data[i + k] = (p + (f32::from(*c) - p) * a).round() as u8;
    }
}

/// A colour and how much of it covers what is beneath.
type Ink = ([u8; 3], f32);

fn draw_text(
    img: &mut Rgb,
    (font, scale): (&FontRef<'_>, PxScale),
    (x, baseline): (f32, f32),
    text: &str,
    (colour, alpha): Ink,
) {
    let f = font.as_scaled(scale);
    let mut pen = x;
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(pen, baseline));
        pen += f.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                blend(
                    img,
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    colour,
                    cov * alpha,
                );
            });
        }
    }
}

/// Burns `lines` into the image's lower left corner; returns where the box is.
pub fn burn(img: &mut Rgb, lines: &[String]) -> Result<Band, PhotoError> {
    let font = font()?;
    let short = img.width.min(img.height) as f32;
    let size = (short / 34.0).clamp(12.0, 72.0);
    let scale = PxScale::from(size);
    let line_h = size * 1.3;
    let pad = size * 0.6;
    let bar = (size / 6.0).max(3.0);
    let margin = size * 0.6;
    let max_text = (img.width as f32 - 2.0 * margin - 2.0 * pad - bar).max(size);
    let lines: Vec<String> = lines
        .iter()
        .map(|l| fit(font, scale, l, max_text))
        .collect();
    let text_w = lines
        .iter()
        .map(|l| width_of(font, scale, l))
        .fold(0.0, f32::max);
    let box_w = (bar + pad * 2.0 + text_w).min(img.width as f32);
    let box_h = (pad * 2.0 + line_h * lines.len() as f32 - (line_h - size)).min(img.height as f32);
    let x0 = margin.min(img.width as f32 - box_w).max(0.0);
    let y0 = (img.height as f32 - margin - box_h).max(0.0);
    let band = Band {
        x: x0 as u32,
        y: y0 as u32,
        width: box_w as u32,
        height: box_h as u32,
    };
    // The box: 60 % black, so that white text reads on any scene; the accent bar on its left.
    for y in band.y..(band.y + band.height).min(img.height) {
        for x in band.x..(band.x + band.width).min(img.width) {
            let i = (y as usize * img.width as usize + x as usize) * 3;
            if ((x - band.x) as f32) < bar {
                img.data[i..i + 3].copy_from_slice(&ACCENT);
            } else {
                for v in &mut img.data[i..i + 3] {
                    *v = (u16::from(*v) * 2 / 5) as u8;
                }
            }
        }
    }
    let shadow = (size / 16.0).max(1.0);
    let ascent = font.as_scaled(scale).ascent();
    for (n, line) in lines.iter().enumerate() {
        let x = x0 + bar + pad;
        let baseline = y0 + pad + n as f32 * line_h + ascent;
        let face = (font, scale);
        draw_text(
            img,
            face,
            (x + shadow, baseline + shadow),
            line,
            ([0, 0, 0], 0.7),
        );
        draw_text(img, face, (x, baseline), line, ([255, 255, 255], 1.0));
    }
    Ok(band)
}
