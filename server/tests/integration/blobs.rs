//! Files: whole and chunked (resumable) uploads checked against their blake3 hash, limits,
//! deduplication, and who may download what.

use serde_json::{json, Value};

use crate::support::*;

fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Bytes that are not all alike, so that a misplaced chunk changes the hash.
fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// `PUT /api/v1/blobs/{hash}` with a raw body, an optional MIME type and Content-Range.
async fn put(
    s: &Server,
    token: Option<&str>,
    hash: &str,
    body: &[u8],
    mime: Option<&str>,
    range: Option<String>,
) -> Reply {
    let mut req = s
        .http
        .put(format!("{}/api/v1/blobs/{hash}", s.base))
        .body(body.to_vec());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(m) = mime {
        req = req.header("content-type", m);
    }
    if let Some(r) = range {
        req = req.header("content-range", r);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let bytes = res.bytes().await.expect("body");
    Reply {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Sends `data[start..end]` as a chunk of the whole `data`.
async fn put_chunk(s: &Server, token: &str, data: &[u8], start: usize, end: usize) -> Reply {
    let range = format!("bytes {start}-{}/{}", end - 1, data.len());
    put(
        s,
        Some(token),
        &hash_of(data),
        &data[start..end],
        Some("image/jpeg"),
        Some(range),
    )
    .await
}

/// `GET /api/v1/blobs/{hash}` (raw response).
async fn fetch(s: &Server, token: &str, hash: &str) -> reqwest::Response {
    s.http
        .get(format!("{}/api/v1/blobs/{hash}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn fetch_status(s: &Server, token: &str, hash: &str) -> u16 {
    fetch(s, token, hash).await.status().as_u16()
}

async fn count(s: &Server, table: &str) -> i64 {
    s.scalar(&format!("SELECT COUNT(*) FROM {table}"), vec![])
        .await
}

/// A `register` citing files.
fn register_citing(task: &str, files: Value) -> Value {
    let mut cmd = register(task, "现场照片");
    cmd["command"]["attachments"] = files;
    cmd
}

both!(
    a_whole_upload_downloads_byte_identical,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let data = content(100_000);
        let hash = hash_of(&data);
        let body = put(&s, Some(&sup), &hash, &data, Some("image/jpeg"), None)
            .await
            .expect(201);
        assert_eq!(
            body,
            json!({"hash": hash, "size": 100_000, "mime": "image/jpeg", "complete": true})
        );

        let res = fetch(&s, &sup, &hash).await;
        assert_eq!(res.status().as_u16(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], "image/jpeg");
        assert_eq!(h["content-length"], "100000");
        assert_eq!(h["etag"], format!("\"{hash}\"").as_str());
        assert_eq!(h["cache-control"], "private, max-age=31536000, immutable");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());

        let res = s
            .http
            .get(format!("{}/api/v1/blobs/{hash}", s.base))
            .bearer_auth(&sup)
            .header("if-none-match", format!("\"{hash}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 304, "a cached copy is still good");

        let st = s
            .get(&sup, &format!("/api/v1/blobs/{hash}/status"))
            .await
            .expect(200);
        assert_eq!(
            st,
            json!({"hash": hash, "complete": true, "received": 100_000, "total": 100_000})
        );

        // Without Content-Type the file is application/octet-stream.
        let other = content(10);
        put(&s, Some(&sup), &hash_of(&other), &other, None, None)
            .await
            .expect(201);
        let res = fetch(&s, &sup, &hash_of(&other)).await;
        assert_eq!(res.headers()["content-type"], "application/octet-stream");
    }
);

both!(
    a_chunked_upload_resumes_after_an_interruption,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let data = content(3_500);
        let hash = hash_of(&data);

        let r = put_chunk(&s, &sup, &data, 0, 1_200).await.expect(202);
        assert_eq!(
            r,
            json!({"hash": hash, "received": 1_200, "total": 3_500, "complete": false})
        );
        // The third chunk before the second: refused, nothing kept.
        put_chunk(&s, &sup, &data, 2_400, 3_500)
            .await
            .error(409, "blob.bad_offset");

        // The connection drops; the client asks where to go on.
        let st = s
            .get(&sup, &format!("/api/v1/blobs/{hash}/status"))
            .await
            .expect(200);
        assert_eq!(
            st,
            json!({"hash": hash, "complete": false, "received": 1_200, "total": 3_500})
        );
        // Only the uploader sees the partial upload.
        let a = s.login("staff-a").await;
        let st = s
            .get(&a, &format!("/api/v1/blobs/{hash}/status"))
            .await
            .expect(200);
        assert_eq!(
            st,
            json!({"hash": hash, "complete": false, "received": 0, "total": null})
        );
        assert_eq!(fetch_status(&s, &sup, &hash).await, 404, "not yet a file");

        // A retry of the first chunk is harmless.
        let r = put_chunk(&s, &sup, &data, 0, 1_200).await.expect(202);
        assert_eq!(r["received"], 1_200);
        // Resume from where the server says.
        let r = put_chunk(&s, &sup, &data, 1_200, 2_400).await.expect(202);
        assert_eq!(r["received"], 2_400);
        let r = put_chunk(&s, &sup, &data, 2_400, 3_500).await.expect(201);
        assert_eq!(
            r,
            json!({"hash": hash, "size": 3_500, "mime": "image/jpeg", "complete": true})
        );
        assert_eq!(
            count(&s, "blob_chunks").await,
            0,
            "chunks dropped once stored"
        );

        // The last chunk again (its answer was lost): nothing changes.
        put_chunk(&s, &sup, &data, 2_400, 3_500).await.expect(200);
        assert_eq!(count(&s, "blobs").await, 1);

        let res = fetch(&s, &sup, &hash).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());

        // A chunk that does not match its Content-Range.
        let other = content(2_000);
        let r = put(
            &s,
            Some(&sup),
            &hash_of(&other),
            &other[..100],
            None,
            Some("bytes 0-199/2000".into()),
        )
        .await;
        r.error(400, "blob.bad_range");
    }
);

both!(
    content_that_does_not_match_its_hash_is_not_kept,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let data = content(3_000);
        let wrong = hash_of(b"something else");
        put(&s, Some(&sup), &wrong, &data, None, None)
            .await
            .error(422, "blob.hash_mismatch");

        // In chunks: the mismatch shows when the last one arrives.
        let range = |a: usize, b: usize| Some(format!("bytes {a}-{}/3000", b - 1));
        put(
            &s,
            Some(&sup),
            &wrong,
            &data[..1_500],
            None,
            range(0, 1_500),
        )
        .await
        .expect(202);
        put(
            &s,
            Some(&sup),
            &wrong,
            &data[1_500..],
            None,
            range(1_500, 3_000),
        )
        .await
        .error(422, "blob.hash_mismatch");

        assert_eq!(count(&s, "blobs").await, 0);
        assert_eq!(count(&s, "blob_chunks").await, 0);
        let st = s
            .get(&sup, &format!("/api/v1/blobs/{wrong}/status"))
            .await
            .expect(200);
        assert_eq!(st["received"], 0, "the upload starts over");
    }
);

async fn oversized_files_are_refused(backend: Backend) {
    let config = duban_server::config::Config {
        max_blob: 4096,
        ..Default::default()
    };
    let s = start_with(backend, config).await;
    s.fixture().await;
    let sup = s.login("supervisor").await;
    let big = content(5_000);
    put(&s, Some(&sup), &hash_of(&big), &big, None, None)
        .await
        .error(413, "blob.too_large");
    put(
        &s,
        Some(&sup),
        &hash_of(&big),
        &big[..1_000],
        None,
        Some("bytes 0-999/5000".into()),
    )
    .await
    .error(413, "blob.too_large");
    assert_eq!(count(&s, "blob_chunks").await, 0);

    let fits = content(4_096);
    put(&s, Some(&sup), &hash_of(&fits), &fits, None, None)
        .await
        .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_files_are_refused_sqlite() {
    oversized_files_are_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_files_are_refused_postgres() {
    oversized_files_are_refused(Backend::Postgres).await;
}

both!(a_malformed_hash_is_refused, |s: Server| async move {
    s.fixture().await;
    let sup = s.login("supervisor").await;
    let data = content(100);
    let upper = hash_of(&data).to_uppercase();
    for bad in [upper.as_str(), "abc", &"g".repeat(64), &"a".repeat(65)] {
        put(&s, Some(&sup), bad, &data, None, None)
            .await
            .error(400, "blob.bad_hash");
        s.get(&sup, &format!("/api/v1/blobs/{bad}"))
            .await
            .error(400, "blob.bad_hash");
        s.get(&sup, &format!("/api/v1/blobs/{bad}/status"))
            .await
            .error(400, "blob.bad_hash");
    }
    put(
        &s,
        Some(&sup),
        &hash_of(&data),
        &data,
        Some("not a mime type"),
        None,
    )
    .await
    .error(400, "blob.bad_mime");
    assert_eq!(count(&s, "blobs").await, 0);
});

both!(
    uploading_a_stored_file_again_is_a_no_op,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let data = content(2_000);
        let hash = hash_of(&data);
        put(&s, Some(&sup), &hash, &data, Some("image/png"), None)
            .await
            .expect(201);
        let again = put(&s, Some(&sup), &hash, &data, Some("image/png"), None)
            .await
            .expect(200);
        assert_eq!(
            again,
            json!({"hash": hash, "size": 2_000, "mime": "image/png", "complete": true})
        );
        // Someone else with the same file: nothing to store, and the first MIME type stays.
        let a = s.login("staff-a").await;
        let r = put(&s, Some(&a), &hash, &data, Some("image/jpeg"), None)
            .await
            .expect(200);
        assert_eq!(r["mime"], "image/png");
        assert_eq!(count(&s, "blobs").await, 1);
    }
);

both!(every_blob_route_needs_a_session, |s: Server| async move {
    s.fixture().await;
    let data = content(100);
    let hash = hash_of(&data);
    put(&s, None, &hash, &data, None, None)
        .await
        .error(401, "auth.unauthorized");
    for path in [
        format!("/api/v1/blobs/{hash}"),
        format!("/api/v1/blobs/{hash}/status"),
    ] {
        s.call(reqwest::Method::GET, &path, None, None)
            .await
            .error(401, "auth.unauthorized");
    }
    assert_eq!(count(&s, "blobs").await, 0);
});

both!(
    a_file_is_readable_where_its_item_is_visible,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let photo = content(5_000);
        let hash = hash_of(&photo);
        put(&s, Some(&sup), &hash, &photo, Some("image/jpeg"), None)
            .await
            .expect(201);
        let t = tid();
        let file = json!({"hash": hash, "mime": "image/jpeg", "size": 5_000, "name": "现场.jpg"});
        s.ok(&sup, register_citing(&t, json!([file]))).await;
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;

        let a = s.login("staff-a").await;
        let b = s.login("staff-b").await;
        let inspector = s.login("inspector").await;
        let res = fetch(&s, &a, &hash).await;
        assert_eq!(res.status().as_u16(), 200, "unit A handles the item");
        assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
        assert_eq!(
            fetch_status(&s, &inspector, &hash).await,
            200,
            "reads every item"
        );
        assert_eq!(fetch_status(&s, &sup, &hash).await, 200);

        // Unit B may not see the item: the same answer as for a file that does not exist.
        let hidden = s.get(&b, &format!("/api/v1/blobs/{hash}")).await;
        let missing = s
            .get(&b, &format!("/api/v1/blobs/{}", hash_of(b"never uploaded")))
            .await;
        assert_eq!(hidden.status, 404);
        assert_eq!(hidden.body, missing.body);
        hidden.error(404, "not_found");
    }
);

both!(
    a_file_no_item_cites_is_its_uploaders_alone,
    |s: Server| async move {
        s.fixture().await;
        let a = s.login("staff-a").await;
        let photo = content(800);
        let hash = hash_of(&photo);
        put(&s, Some(&a), &hash, &photo, Some("image/jpeg"), None)
            .await
            .expect(201);
        assert_eq!(fetch_status(&s, &a, &hash).await, 200, "their own photo");
        for other in ["staff-a2", "staff-b", "supervisor", "inspector"] {
            let token = s.login(other).await;
            assert_eq!(fetch_status(&s, &token, &hash).await, 404, "{other}");
        }
    }
);

both!(
    a_command_citing_a_file_never_uploaded_is_rejected,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        let file =
            json!({"hash": hash_of(b"not here"), "mime": "image/jpeg", "size": 8, "name": "a.jpg"});
        s.refused(&sup, register_citing(&t, json!([file])), "blob.missing")
            .await;

        // Uploaded, but cited with another size: still refused.
        let data = content(64);
        put(
            &s,
            Some(&sup),
            &hash_of(&data),
            &data,
            Some("image/jpeg"),
            None,
        )
        .await
        .expect(201);
        let file =
            json!({"hash": hash_of(&data), "mime": "image/jpeg", "size": 65, "name": "b.jpg"});
        s.refused(&sup, register_citing(&t, json!([file])), "blob.missing")
            .await;
        assert_eq!(count(&s, "blob_refs").await, 0);
    }
);

both!(
    the_same_chunks_sent_at_once_are_kept_once,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let data = content(2_000);
        let first = || put_chunk(&s, &sup, &data, 0, 1_000);
        let (a, b, c, d) = tokio::join!(first(), first(), first(), first());
        for r in [a, b, c, d] {
            assert_eq!(r.expect(202)["received"], 1_000);
        }
        let last = || put_chunk(&s, &sup, &data, 1_000, 2_000);
        let (a, b, c, d) = tokio::join!(last(), last(), last(), last());
        let mut statuses: Vec<u16> = [a, b, c, d].iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 200, 200, 201],
            "stored once, the rest see it stored"
        );
        assert_eq!(count(&s, "blobs").await, 1);
        assert_eq!(count(&s, "blob_chunks").await, 0);
        let res = fetch(&s, &sup, &hash_of(&data)).await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    }
);

both!(
    a_request_may_carry_more_than_the_json_limit,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        // 3 MiB: over the 2 MiB limit of JSON bodies, within a file request's MAX_CHUNK.
        let data = content(3 * 1024 * 1024);
        let hash = hash_of(&data);
        put(&s, Some(&sup), &hash, &data, Some("video/mp4"), None)
            .await
            .expect(201);
        let res = fetch(&s, &sup, &hash).await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    }
);

/// A photo through the real capture pipeline: a JPEG made here, processed as a phone would.
fn processed_photo() -> duban_core::photo::Processed {
    use duban_core::domain::model::PhotoSource;
    use duban_core::photo::{process, Capture, Options};
    let (w, h) = (640u16, 480u16);
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(w), i / u32::from(w));
            [(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]
        })
        .collect();
    let jpeg = duban_core::photo::encode(
        &duban_core::photo::raster::Rgb {
            width: u32::from(w),
            height: u32::from(h),
            data: pixels,
        },
        90,
    )
    .expect("encode");
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let capture = Capture {
        source: PhotoSource::Camera,
        device_time: now,
        device_location: None,
        place: Some("城关镇".into()),
        item_number: None,
        person: "张伟".into(),
        answers: None,
    };
    process(&jpeg, &capture, &Options::default()).expect("processes")
}

both!(
    a_photo_and_its_thumbnail_are_served_only_where_the_item_is_visible,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let shot = processed_photo();
        let meta = shot.evidence.photo.as_deref().expect("photo metadata");
        let (full, thumb) = (shot.evidence.hash.clone(), meta.thumbnail.hash.clone());
        put(&s, Some(&sup), &full, &shot.image, Some("image/jpeg"), None)
            .await
            .expect(201);
        // The thumbnail is a file the command cites: not uploaded, the command waits.
        let t = tid();
        let evidence = serde_json::to_value(&shot.evidence).unwrap();
        s.refused(
            &sup,
            register_citing(&t, json!([evidence.clone()])),
            "blob.missing",
        )
        .await;
        put(
            &s,
            Some(&sup),
            &thumb,
            &shot.thumbnail,
            Some("image/jpeg"),
            None,
        )
        .await
        .expect(201);
        s.ok(&sup, register_citing(&t, json!([evidence]))).await;
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;

        let a = s.login("staff-a").await;
        let b = s.login("staff-b").await;
        for (hash, bytes) in [(&full, &shot.image), (&thumb, &shot.thumbnail)] {
            let res = fetch(&s, &a, hash).await;
            assert_eq!(res.status().as_u16(), 200, "unit A handles the item");
            assert_eq!(res.headers()["content-type"], "image/jpeg");
            assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
            assert_eq!(
                fetch_status(&s, &b, hash).await,
                404,
                "unit B does not see it"
            );
        }

        // The reviewer sees the metadata and what to look at twice.
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        let checks = detail["evidence"].as_array().expect("evidence");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0]["file"]["hash"], full.as_str());
        assert_eq!(
            checks[0]["file"]["photo"]["thumbnail"]["hash"],
            thumb.as_str()
        );
        assert_eq!(checks[0]["file"]["photo"]["place"], "城关镇");
        let codes: Vec<&str> = checks[0]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["evidence.time_from_device", "evidence.no_location"]);
        assert_eq!(detail["photo_pairs"][0]["before"]["hash"], full.as_str());
        assert_eq!(detail["photo_pairs"][0]["after"], json!([]));
        // Unit B may not read the item, so it cannot read these either.
        s.get(&b, &format!("/api/v1/tasks/{t}"))
            .await
            .error(404, "not_found");
    }
);
