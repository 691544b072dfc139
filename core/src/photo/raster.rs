//! An RGB image in memory (8 bits a channel, rows top to bottom) and what the pipeline does
//! to it: turn it upright by its EXIF orientation and shrink it to a long edge.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::PhotoError;

/// An RGB image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 3` bytes.
    pub data: Vec<u8>,
}

impl Rgb {
    /// The colour at (x, y).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// The image as it should be shown, given the EXIF orientation it was stored with
    /// (1 upright, 2 mirrored, 3 upside down, 4 flipped, 5 transposed, 6 turned a quarter
    /// anticlockwise, 7 transversed, 8 turned a quarter clockwise). Anything else leaves it.
    pub fn upright(self, orientation: u8) -> Rgb {
        if !(2..=8).contains(&orientation) {
            return self;
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let swap = orientation >= 5;
        let (ow, oh) = if swap { (h, w) } else { (w, h) };
        let mut out = vec![0u8; self.data.len()];
        for y in 0..oh {
            for x in 0..ow {
                // The stored pixel that is shown at (x, y).
                let (sx, sy) = match orientation {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                let from = (sy * w + sx) * 3;
                let to = (y * ow + x) * 3;
                out[to..to + 3].copy_from_slice(&self.data[from..from + 3]);
            }
        }
        Rgb {
            width: ow as u32,
            height: oh as u32,
            data: out,
        }
    }

    /// The size this image has once its long edge is at most `long_edge` (never enlarged).
    pub fn fitted(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
        let long = width.max(height);
        if long <= long_edge {
            return (width, height);
        }
        let scale = f64::from(long_edge) / f64::from(long);
        let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
        (side(width), side(height))
    }

    /// The image shrunk so that its long edge is at most `long_edge` (Lanczos-3).
    pub fn shrunk(&self, long_edge: u32) -> Result<Rgb, PhotoError> {
        let (w, h) = Rgb::fitted(self.width, self.height, long_edge);
        if (w, h) == (self.width, self.height) {
            return Ok(self.clone());
        }
        let resize = |e: &dyn std::fmt::Display| PhotoError::Corrupt(format!("resize: {e}"));
        let src = ImageRef::new(self.width, self.height, &self.data, PixelType::U8x3)
            .map_err(|e| resize(&e))?;
        let mut dst = Image::new(w, h, PixelType::U8x3);
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        Resizer::new()
            .resize(&src, &mut dst, &options)
            .map_err(|e| resize(&e))?;
        Ok(Rgb {
            width: w,
            height: h,
            data: dst.into_vec(),
        })
    }
}
