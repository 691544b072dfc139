//! Photos and files from the browser, over HTTP with the page's cookie and form token: a
//! camera JPEG (EXIF orientation, capture time and GPS) through `PUT /uploads/{hash}` and
//! `POST /uploads/{hash}/evidence` is byte for byte the phone pipeline's photo, with the
//! same metadata and, cited by a report, the same reviewer warnings as the phone's through
//! the API; an upload resumes after a failure; a file is stored once; the limits hold
//! before a body is read; nobody unsigned or without the form token gets in; registration
//! cites the page's uploads.

use chrono::{DateTime, FixedOffset};
use duban_core::domain::model::{BlobRef, GeoPoint, PhotoSource, TimeSource};
use duban_core::photo::raster::Rgb;
use duban_core::photo::{self, Capture, Options};
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, form_token, hidden_field, page, sign_in};

fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Bytes that are not all alike, so that a misplaced chunk changes the hash.
pub(crate) fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// A test card: four coloured quadrants over a fine grain, so that it compresses like a
/// photo and a turn shows.
fn card(width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let base: [u8; 3] = match (y < height / 2, x < width / 2) {
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

/// A camera's JPEG: 1200×900 as stored, EXIF orientation 6 (shown a quarter turn
/// clockwise, so 900×1200 upright), taken 2026-11-30 09:41:27 +08:00 at 39°54'32"N
/// 116°23'51"E by a HUAWEI Mate 60. The EXIF block is written by `kamadak-exif`.
pub(crate) fn camera_jpeg() -> Vec<u8> {
    use exif::experimental::Writer;
    use exif::{Field, In, Rational, Tag, Value};
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let dms = |d: u32, m: u32, s: u32| {
        Value::Rational(
            [d, m, s]
                .iter()
                .map(|&n| Rational { num: n, denom: 1 })
                .collect(),
        )
    };
    let field = |tag, value| Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    };
    let fields = [
        field(Tag::Orientation, Value::Short(vec![6])),
        field(Tag::Make, ascii("HUAWEI")),
        field(Tag::Model, ascii("Mate 60")),
        field(Tag::DateTimeOriginal, ascii("2026:11:30 09:41:27")),
        field(Tag::OffsetTimeOriginal, ascii("+08:00")),
        field(Tag::GPSLatitudeRef, ascii("N")),
        field(Tag::GPSLatitude, dms(39, 54, 32)),
        field(Tag::GPSLongitudeRef, ascii("E")),
        field(Tag::GPSLongitude, dms(116, 23, 51)),
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, true).expect("exif");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff.into_inner());
    with_app1(&photo::encode(&card(1200, 900), 90).expect("encode"), &app1)
}

/// A JPEG with an APP1 segment right after its start-of-image marker.
fn with_app1(jpeg: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(body.len() + 2).expect("short").to_be_bytes());
    out.extend(body);
    out.extend(&jpeg[2..]);
    out
}

/// A browser signed in: its cookie and the page's form token.
pub(crate) struct Page {
    web: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl Page {
    pub(crate) async fn sign_in(s: &Server, username: &str) -> Page {
        let web = browser();
        let cookie = sign_in(s, &web, username).await;
        let csrf = form_token(s, &web, &cookie).await;
        Page { web, cookie, csrf }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        let bytes = r.bytes().await.expect("body");
        if status >= 400 {
            assert!(
                kind.starts_with("application/json"),
                "the script gets JSON errors, not a page: {kind}"
            );
        }
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// `PUT /uploads/{hash}` as the page's script sends it.
    pub(crate) async fn put(
        &self,
        s: &Server,
        hash: &str,
        body: &[u8],
        mime: &str,
        range: Option<String>,
    ) -> Reply {
        let mut req = self
            .web
            .put(format!("{}/uploads/{hash}", s.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", mime)
            .body(body.to_vec());
        if let Some(r) = range {
            req = req.header("content-range", r);
        }
        self.send(req).await
    }

    async fn chunk(&self, s: &Server, data: &[u8], start: usize, end: usize) -> Reply {
        let range = format!("bytes {start}-{}/{}", end - 1, data.len());
        self.put(
            s,
            &hash_of(data),
            &data[start..end],
            "application/pdf",
            Some(range),
        )
        .await
    }

    pub(crate) async fn status(&self, s: &Server, hash: &str) -> Reply {
        let req = self
            .web
            .get(format!("{}/uploads/{hash}/status", s.base))
            .header(COOKIE, &self.cookie);
        self.send(req).await
    }

    pub(crate) async fn evidence(&self, s: &Server, hash: &str, body: Value) -> Reply {
        let req = self
            .web
            .post(format!("{}/uploads/{hash}/evidence", s.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body);
        self.send(req).await
    }

    /// `GET /files/{hash}`'s bytes.
    async fn file(&self, s: &Server, hash: &str) -> Vec<u8> {
        let r = self
            .web
            .get(format!("{}/files/{hash}", s.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("file");
        assert_eq!(r.status(), 200);
        r.bytes().await.expect("bytes").to_vec()
    }
}

/// An item registered by the supervisor, dispatched to `staff-a`, who has received it;
/// returns its id and number.
async fn received(s: &Server, f: &Fixture, sup: &str, staff: &str) -> (String, String) {
    let t = tid();
    s.ok(sup, register(&t, "城区道路积水整治")).await;
    s.ok(sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
    s.ok(staff, simple(&t, "receive", json!({}))).await;
    let d = s.get(sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
    (t, d["number"].as_str().expect("number").to_owned())
}

/// `report_progress` on `task` citing `evidence`.
fn progress(task: &str, evidence: Vec<Value>) -> Value {
    simple(
        task,
        "report_progress",
        json!({
            "report": {"id": tid(), "text": "积水已排除一半", "evidence": evidence},
            "percent": 50, "milestone": null, "answers": null
        }),
    )
}

/// The warnings' codes on the first file an item cites.
async fn warnings(s: &Server, token: &str, task: &str) -> (Value, Vec<String>) {
    let d = s
        .get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200);
    let check = d["evidence"][0].clone();
    let codes = check["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["code"].as_str().expect("code").to_owned())
        .collect();
    (check, codes)
}

fn device_time() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-07T10:15:30+08:00").expect("time")
}

both!(
    a_photo_through_the_page_is_the_phone_pipelines_photo,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let (t1, number) = received(&s, &f, &sup, &staff).await;
        let (t2, _) = received(&s, &f, &sup, &staff).await;
        let p = Page::sign_in(&s, "staff-a").await;

        let jpeg = camera_jpeg();
        let hash = hash_of(&jpeg);
        p.put(&s, &hash, &jpeg, "image/jpeg", None)
            .await
            .expect(201);
        let body = p
            .evidence(
                &s,
                &hash,
                json!({
                    "name": "IMG_20261130_094127.jpg", "source": "camera",
                    "device_time": "2026-12-07T10:15:30.250+08:00",
                    "location": {"lat": 30.5, "lon": 114.3},
                    "item": t1, "place": "解放路"
                }),
            )
            .await
            .expect(200);

        // What a phone's app makes of the same file and shot.
        let phone = photo::process(
            &jpeg,
            &Capture {
                source: PhotoSource::Camera,
                device_time: device_time(),
                device_location: GeoPoint::from_degrees(30.5, 114.3),
                place: Some("解放路".into()),
                item_number: Some(number.clone()),
                person: "staff-a".into(),
                answers: None,
            },
            &Options::default(),
        )
        .expect("the pipeline");
        assert_eq!(body, serde_json::to_value(&phone.evidence).unwrap());
        let cited: BlobRef = serde_json::from_value(body.clone()).expect("a BlobRef");
        let meta = cited.photo.as_deref().expect("photo metadata");
        assert_eq!((meta.width, meta.height), (900, 1200), "turned upright");
        assert_eq!(meta.time_source, TimeSource::Exif);
        assert_eq!(
            meta.captured_at.to_rfc3339(),
            "2026-11-30T09:41:27+08:00",
            "the camera's time"
        );
        let at = meta.location.expect("a place");
        assert!((at.lat() - 39.908_888).abs() < 1e-4 && (at.lon() - 116.397_5).abs() < 1e-4);
        assert_eq!(meta.make.as_deref(), Some("HUAWEI"));
        assert_eq!(p.file(&s, &cited.hash).await, phone.image, "the same bytes");
        assert_eq!(p.file(&s, &meta.thumbnail.hash).await, phone.thumbnail);

        // The page's photo cited on one item, the phone's (uploaded through the API: stored
        // already, so not again) on another: the same warnings, computed by the core.
        s.ok(&staff, progress(&t1, vec![body.clone()])).await;
        let api_put = |hash: String, bytes: Vec<u8>| {
            let s = &s;
            let staff = &staff;
            async move {
                s.http
                    .put(format!("{}/api/v1/blobs/{hash}", s.base))
                    .bearer_auth(staff)
                    .header("content-type", "image/jpeg")
                    .body(bytes)
                    .send()
                    .await
                    .expect("put")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(
            api_put(phone.evidence.hash.clone(), phone.image.clone()).await,
            200
        );
        let thumb = phone
            .evidence
            .photo
            .as_ref()
            .unwrap()
            .thumbnail
            .hash
            .clone();
        assert_eq!(api_put(thumb, phone.thumbnail.clone()).await, 200);
        let evidence = serde_json::to_value(&phone.evidence).unwrap();
        s.ok(&staff, progress(&t2, vec![evidence])).await;
        let (page_check, page_codes) = warnings(&s, &sup, &t1).await;
        let (api_check, api_codes) = warnings(&s, &sup, &t2).await;
        assert_eq!(page_check["file"], api_check["file"]);
        assert_eq!(page_check["warnings"], api_check["warnings"]);
        assert!(
            !page_codes.iter().any(|c| c == "evidence.from_gallery"
                || c == "evidence.no_location"
                || c == "evidence.time_from_device"),
            "{page_codes:?}"
        );
        assert_eq!(page_codes, api_codes);

        // From the file input, a JPEG without EXIF is a gallery photo: watermarked as one,
        // with the browser's clock and no place, and the reviewer told so.
        let plain = photo::encode(&card(800, 600), 90).expect("encode");
        let h = hash_of(&plain);
        p.put(&s, &h, &plain, "image/jpeg", None).await.expect(201);
        let body = p
            .evidence(
                &s,
                &h,
                json!({"name": "旧照片.jpg", "source": "gallery",
                       "device_time": "2026-12-07T10:15:30+08:00", "item": t2}),
            )
            .await
            .expect(200);
        let cited: BlobRef = serde_json::from_value(body.clone()).expect("a BlobRef");
        let meta = cited.photo.as_deref().expect("photo metadata");
        assert_eq!(meta.source, PhotoSource::Gallery);
        assert_eq!(meta.time_source, TimeSource::Device);
        assert_eq!(meta.captured_at, device_time());
        let (t3, _) = received(&s, &f, &sup, &staff).await;
        s.ok(&staff, progress(&t3, vec![body])).await;
        let (_, codes) = warnings(&s, &sup, &t3).await;
        for code in [
            "evidence.from_gallery",
            "evidence.time_from_device",
            "evidence.no_location",
        ] {
            assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
        }
    }
);

both!(
    an_upload_through_the_page_resumes_and_is_stored_once,
    |s: Server| async move {
        s.fixture().await;
        let p = Page::sign_in(&s, "staff-a").await;
        let mut data = b"%PDF-1.7\n".to_vec();
        data.extend(content(300_000));
        let hash = hash_of(&data);
        let total = data.len();
        let st = p.status(&s, &hash).await.expect(200);
        assert_eq!(
            st,
            json!({"hash": hash, "complete": false, "received": 0, "total": null})
        );
        let r = p.chunk(&s, &data, 0, 100_000).await.expect(202);
        assert_eq!(r["received"], 100_000);
        // The connection broke; the script sends what it thinks comes next, out of step.
        p.chunk(&s, &data, 200_000, total)
            .await
            .error(409, "blob.bad_offset");
        let st = p.status(&s, &hash).await.expect(200);
        assert_eq!(
            (st["received"].as_i64(), st["total"].as_i64()),
            (Some(100_000), Some(total as i64))
        );
        // A chunk already kept may come again (a retry), then the rest.
        p.chunk(&s, &data, 0, 100_000).await.expect(202);
        let done = p.chunk(&s, &data, 100_000, total).await.expect(201);
        assert_eq!(done["complete"], true);
        assert_eq!(p.status(&s, &hash).await.expect(200)["complete"], true);
        let blobs = "SELECT COUNT(*) FROM blobs";
        assert_eq!(s.scalar(blobs, vec![]).await, 1);
        assert_eq!(
            s.scalar("SELECT COUNT(*) FROM blob_chunks", vec![]).await,
            0
        );

        // The same content again, from the same person or another: not stored again.
        p.put(&s, &hash, &data, "application/pdf", None)
            .await
            .expect(200);
        let q = Page::sign_in(&s, "staff-a2").await;
        assert_eq!(
            q.status(&s, &hash).await.expect(200)["complete"],
            false,
            "not theirs yet"
        );
        q.put(&s, &hash, &data, "application/pdf", None)
            .await
            .expect(200);
        assert_eq!(q.status(&s, &hash).await.expect(200)["complete"], true);
        assert_eq!(s.scalar(blobs, vec![]).await, 1);

        // Any file but a JPEG is cited as it is, even when picked as a photo.
        for source in ["file", "gallery", "camera"] {
            let body = p
                .evidence(
                    &s,
                    &hash,
                    json!({"name": "C:\\fakepath\\整改方案.pdf", "source": source,
                           "device_time": "2026-12-07T10:15:30+08:00"}),
                )
                .await
                .expect(200);
            assert_eq!(
                body,
                json!({"hash": hash, "mime": "application/pdf", "size": total, "name": "整改方案.pdf"})
            );
        }
        assert_eq!(s.scalar(blobs, vec![]).await, 1, "nothing made of it");
    }
);

both!(
    the_pages_uploads_keep_the_limits_and_the_permissions,
    |s: Server| async move {
        let f = s.fixture().await;
        let p = Page::sign_in(&s, "staff-a").await;
        let data = content(1000);
        let hash = hash_of(&data);

        // A declared size over the limit is refused before the body is read.
        let max = s.state.config.max_blob;
        p.put(
            &s,
            &hash,
            &data[..10],
            "image/jpeg",
            Some(format!("bytes 0-9/{}", max + 1)),
        )
        .await
        .error(413, "blob.too_large");
        // A request over the chunk size, and a bad hash.
        let big = vec![0u8; duban_server::routes::blobs::MAX_CHUNK + 1];
        p.put(&s, &hash_of(&big), &big, "application/octet-stream", None)
            .await
            .error(413, "blob.chunk_too_large");
        p.put(&s, "not-a-hash", &data, "image/jpeg", None)
            .await
            .error(400, "blob.bad_hash");
        p.put(&s, &hash_of(b"other"), &data, "image/jpeg", None)
            .await
            .error(422, "blob.hash_mismatch");

        // Not signed in: 401, as JSON (a script is not sent to the sign-in page).
        let anon = browser();
        for r in [
            anon.put(format!("{}/uploads/{hash}", s.base))
                .body(data.clone()),
            anon.get(format!("{}/uploads/{hash}/status", s.base)),
            anon.post(format!("{}/uploads/{hash}/evidence", s.base))
                .json(&json!({"source": "file", "device_time": "2026-12-07T10:15:30+08:00"})),
        ] {
            p.send(r).await.error(401, "auth.unauthorized");
        }
        // Signed in, without the form token, with a wrong one, or from another site.
        let no_token = p
            .web
            .put(format!("{}/uploads/{hash}", s.base))
            .header(COOKIE, &p.cookie)
            .body(data.clone());
        p.send(no_token).await.error(403, "csrf.token");
        let wrong = p
            .web
            .post(format!("{}/uploads/{hash}/evidence", s.base))
            .header(COOKIE, &p.cookie)
            .header("x-csrf-token", hash_of(b"guess"))
            .json(&json!({"source": "file", "device_time": "2026-12-07T10:15:30+08:00"}));
        p.send(wrong).await.error(403, "csrf.token");
        let elsewhere = p
            .web
            .put(format!("{}/uploads/{hash}", s.base))
            .header(COOKIE, &p.cookie)
            .header("x-csrf-token", &p.csrf)
            .header("origin", "https://evil.example")
            .body(data.clone());
        p.send(elsewhere).await.error(403, "csrf.origin");
        assert_eq!(s.scalar("SELECT COUNT(*) FROM blobs", vec![]).await, 0);

        // A file someone else sent is not theirs to cite, nor is an item they cannot read.
        let q = Page::sign_in(&s, "staff-b").await;
        q.put(&s, &hash, &data, "application/pdf", None)
            .await
            .expect(201);
        let ask = json!({"source": "file", "device_time": "2026-12-07T10:15:30+08:00"});
        p.evidence(&s, &hash, ask.clone())
            .await
            .error(404, "not_found");
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "教育局的事项")).await;
        s.ok(&sup, dispatch(&t, f.unit_b, None)).await;
        let jpeg = camera_jpeg();
        let h = hash_of(&jpeg);
        p.put(&s, &h, &jpeg, "image/jpeg", None).await.expect(201);
        let mut ask =
            json!({"source": "camera", "device_time": "2026-12-07T10:15:30+08:00", "item": t});
        p.evidence(&s, &h, ask.clone())
            .await
            .error(404, "not_found");
        ask["item"] = Value::Null;
        ask["location"] = json!({"lat": 91.0, "lon": 0.0});
        p.evidence(&s, &h, ask)
            .await
            .error(400, "upload.bad_location");

        // A JPEG the pipeline refuses: 422 with its code, in both languages.
        let cut = &jpeg[..jpeg.len() / 2];
        let hc = hash_of(cut);
        p.put(&s, &hc, cut, "image/jpeg", None).await.expect(201);
        let r = p
            .evidence(
                &s,
                &hc,
                json!({"source": "camera", "device_time": "2026-12-07T10:15:30+08:00"}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["code"], "photo.corrupt");
        assert!(
            r.body["zh"].as_str().unwrap().contains("损坏"),
            "{}",
            r.body
        );
        assert!(
            r.body["en"].as_str().unwrap().contains("damaged"),
            "{}",
            r.body
        );
    }
);

both!(
    registration_cites_the_pages_uploads,
    |s: Server| async move {
        let f = s.fixture().await;
        let p = Page::sign_in(&s, "supervisor").await;
        let (status, html) = page(&p.web, &format!("{}/register", s.base), Some(&p.cookie)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("class=\"uploads\" data-field=\"attachments\"")
                && html.contains("capture=\"environment\""),
            "the photo and file inputs"
        );
        let jpeg = camera_jpeg();
        let h = hash_of(&jpeg);
        p.put(&s, &h, &jpeg, "image/jpeg", None).await.expect(201);
        let photo = p
            .evidence(
                &s,
                &h,
                json!({"source": "camera", "device_time": "2026-12-07T10:15:30+08:00"}),
            )
            .await
            .expect(200);
        let pdf = b"%PDF-1.7\nminutes".to_vec();
        let hp = hash_of(&pdf);
        p.put(&s, &hp, &pdf, "application/pdf", None)
            .await
            .expect(201);
        let file = p
            .evidence(&s, &hp, json!({"name": "会议纪要.pdf", "source": "gallery", "device_time": "2026-12-07T10:15:30+08:00"}))
            .await
            .expect(200);
        let fields = |title: &str, attachments: Vec<String>| {
            let mut v = vec![
                ("form", hidden_field(&html, "form")),
                ("category", "meeting_decision".to_owned()),
                ("title", title.to_owned()),
                ("content", "现场照片与会议纪要附后".to_owned()),
                ("source", "on_site".to_owned()),
                ("urgency", "normal".to_owned()),
                ("visibility", "internal".to_owned()),
                ("deadline", "2027-03-01T18:00".to_owned()),
                ("leads", f.unit_a.to_string()),
            ];
            v.extend(attachments.into_iter().map(|a| ("attachments", a)));
            v
        };
        // A broken reference: the form again, with the good files still in it.
        let (status, again) = crate::web_register::post(
            &s,
            &p.web,
            &p.cookie,
            "/register",
            &fields(
                "积水点现场核查",
                vec![photo.to_string(), "{not json".to_owned()],
            ),
            false,
        )
        .await;
        assert_eq!(status, 422, "{again}");
        assert!(again.contains("data-code=\"input.bad_file\""), "{again}");
        assert!(
            again.contains(photo["hash"].as_str().expect("hash")),
            "the photo stays in the form"
        );
        let (status, done) = crate::web_register::post(
            &s,
            &p.web,
            &p.cookie,
            "/register",
            &fields("积水点现场核查", vec![photo.to_string(), file.to_string()]),
            false,
        )
        .await;
        assert_eq!(status, 200, "{done}");
        let sup = s.login("supervisor").await;
        let made = crate::web_register::items(&s, &sup, "积水点现场核查").await;
        assert_eq!(made.len(), 1);
        let id = made[0]["id"].as_str().expect("id");
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        let cited: Vec<&Value> = d["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .map(|c| &c["file"])
            .collect();
        assert_eq!(cited, [&photo, &file]);
        // The unit handling it sees the photo.
        let a = Page::sign_in(&s, "head-a").await;
        let thumb = photo["photo"]["thumbnail"]["hash"].as_str().expect("thumb");
        assert!(!a.file(&s, thumb).await.is_empty());
    }
);
