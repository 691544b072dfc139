//! The photo pipeline against libvips, on one core.
//!
//! Makes a 12-megapixel camera JPEG (4000×3000, 4:2:0, quality 92, with EXIF: a textured
//! scene that compresses like a photo, about 4 MB), then measures, in the same run:
//! - `photo::process` in this process: decode, orient, resize to 1600 px and 320 px,
//!   watermark, encode both, hash — the whole pipeline, on one thread;
//! - `duban photo process` as a process pinned to one core (`taskset -c 0`), with its peak
//!   memory (GNU time's maximum resident set size);
//! - `vipsthumbnail` (Debian's libvips-tools) making the 1600 px image and the 320 px
//!   thumbnail from the same file, two processes, pinned to the same core with
//!   `VIPS_CONCURRENCY=1`, with their peak memory.
//!
//! Run: `cargo bench -p duban-server --bench photo` (needs `vipsthumbnail`, `taskset` and
//! `/usr/bin/time`: `apt-get install libvips-tools time`).

use std::process::Command;
use std::time::{Duration, Instant};

use duban_core::domain::model::PhotoSource;
use duban_core::photo::{process, raster::Rgb, Capture, Options};

const ROUNDS: usize = 11;

/// A camera-like scene: sky gradient, a few hard edges, foliage-like texture and sensor noise.
fn scene(width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    let mut seed = 0x9E3779B97F4A7C15u64;
    for y in 0..height {
        for x in 0..width {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed % 19) as f32 - 9.0;
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let texture = ((fx * 180.0).sin() * (fy * 140.0).cos() * 40.0)
                + ((fx * 37.0 + fy * 23.0).sin() * 25.0);
            let rgb = if fy < 0.35 {
                [90.0 + fy * 200.0, 140.0 + fy * 150.0, 230.0 - fy * 40.0]
            } else if (fx * 10.0).floor() as i32 % 3 == 0 {
                [
                    150.0 + texture * 0.5,
                    140.0 + texture * 0.5,
                    130.0 + texture * 0.5,
                ]
            } else {
                [60.0 + texture, 120.0 + texture, 50.0 + texture * 0.6]
            };
            data.extend(rgb.map(|c| (c + noise).clamp(0.0, 255.0) as u8));
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

fn camera_jpeg(img: &Rgb) -> Vec<u8> {
    let out = duban_core::photo::encode(img, 92).expect("encode");
    // A minimal EXIF block (orientation 1, maker), as a camera writes one.
    let mut tiff = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
    tiff.extend([2, 0]);
    tiff.extend([0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    tiff.extend([0x0F, 0x01, 2, 0, 4, 0, 0, 0]);
    tiff.extend(*b"HW\0\0");
    tiff.extend([0, 0, 0, 0]);
    let mut file = out[..2].to_vec();
    file.extend([0xFF, 0xE1]);
    file.extend(((tiff.len() + 2) as u16).to_be_bytes());
    file.extend(tiff);
    file.extend(&out[2..]);
    file
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs a command pinned to core 0 under GNU time; returns (wall time, peak RSS in KiB).
fn run_pinned(args: &[&str], envs: &[(&str, &str)]) -> (Duration, u64) {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "taskset", "-c", "0"]).args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .expect("run /usr/bin/time (apt-get install time)");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (elapsed, rss)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("camera.jpg");
    let file = camera_jpeg(&scene(4000, 3000));
    std::fs::write(&input, &file).expect("write input");
    let input_s = input.to_str().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    println!(
        "input: 4000×3000 (12.0 MP) JPEG, 4:2:0, {:.2} MB",
        file.len() as f64 / 1e6
    );

    let capture = Capture {
        source: PhotoSource::Camera,
        device_time: chrono::DateTime::parse_from_rfc3339("2026-11-30T09:41:27+08:00").unwrap(),
        device_location: None,
        place: Some("城关镇解放路".into()),
        item_number: Some("改〔2026〕3号".into()),
        person: "李明".into(),
        answers: None,
    };
    let options = Options::default();
    let mut inproc = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let out = process(&file, &capture, &options).expect("process");
        inproc.push(t.elapsed());
        std::hint::black_box(out);
    }

    let duban = env!("CARGO_BIN_EXE_duban");
    let out_s = out_dir.to_str().unwrap();
    let (mut ours, mut ours_rss) = (Vec::new(), 0);
    let (mut vips, mut vips_rss) = (Vec::new(), 0);
    for _ in 0..ROUNDS {
        let (t, rss) = run_pinned(
            &[
                duban,
                "photo",
                "process",
                input_s,
                "--out",
                out_s,
                "--person",
                "李明",
                "--item-number",
                "改〔2026〕3号",
                "--place",
                "城关镇解放路",
                "--captured-at",
                "2026-11-30T09:41:27+08:00",
            ],
            &[],
        );
        ours.push(t);
        ours_rss = ours_rss.max(rss);
        let big = format!("{}/vips1600.jpg[Q=85]", out_s);
        let small = format!("{}/vips320.jpg[Q=75]", out_s);
        let (t1, r1) = run_pinned(
            &["vipsthumbnail", input_s, "-s", "1600", "-o", &big],
            &[("VIPS_CONCURRENCY", "1")],
        );
        let (t2, r2) = run_pinned(
            &["vipsthumbnail", input_s, "-s", "320", "-o", &small],
            &[("VIPS_CONCURRENCY", "1")],
        );
        vips.push(t1 + t2);
        vips_rss = vips_rss.max(r1).max(r2);
    }
    let (inproc, ours, vips) = (median(inproc), median(ours), median(vips));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("medians of {ROUNDS} runs, one core:");
    println!("  photo::process in-process      {:>7.1} ms", ms(inproc));
    println!(
        "  duban photo process (process)  {:>7.1} ms   peak RSS {:>6} KiB",
        ms(ours),
        ours_rss
    );
    println!(
        "  vipsthumbnail 1600 + 320       {:>7.1} ms   peak RSS {:>6} KiB",
        ms(vips),
        vips_rss
    );
    println!(
        "  ratio duban/vips: process {:.2}, in-process {:.2} (goal ≤ 0.70)",
        ms(ours) / ms(vips),
        ms(inproc) / ms(vips)
    );
}
