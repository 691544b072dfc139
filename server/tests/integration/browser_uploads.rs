//! Uploads in a real browser (headless Chromium over WebDriver, as `browser`): the page's
//! BLAKE3 (the vendored `@noble/hashes`) names files as the server does; a camera JPEG sent
//! through the camera input goes through the photo pipeline and lands in the form as a
//! hidden `attachments` field; a 3 MB file through the file input resumes an upload begun
//! before, in chunks, with the progress shown, and goes on after the network drops a chunk;
//! one is removed again, and the registration cites the other. Screenshots go to `target/screenshots/`.

use std::time::{Duration, Instant};

use duban_core::domain::model::PhotoSource;
use duban_core::photo::{self, Capture, Options};
use serde_json::Value;

use crate::browser::Browser;
use crate::support::*;
use crate::web_uploads::{camera_jpeg, content};

/// Waits (up to a minute: the camera asks the browser for a position first, which a headless
/// browser may leave unanswered for a while) until `js` returns true.
async fn wait_long(b: &Browser, js: &str, what: &str) {
    let until = Instant::now() + Duration::from_secs(60);
    while b.script(js).await != true {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `PUT /api/…`-style requests answered per route and status, from the server's metrics.
fn answered(s: &Server, method: &str, route: &str, status: u16) -> u64 {
    let text = s.state.metrics.render(&[]);
    let labels = [
        format!("method=\"{method}\""),
        format!("route=\"{route}\""),
        format!("status=\"{status}\""),
    ];
    text.lines()
        .filter(|l| l.starts_with("duban_http_requests"))
        .filter(|l| labels.iter().all(|want| l.contains(want.as_str())))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_photos_and_files_upload_resume_and_register() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let dir = temp_dir();
    let b = Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/register", s.base)).await;
    b.wait_for(
        "return !!window.dubanUpload && !!document.querySelector('.uploads[data-field=\"attachments\"]')",
        "the upload script and its inputs",
    )
    .await;

    // The page's BLAKE3 against the server's, over one chunk boundary (1024 bytes) and
    // across the slices the page reads a large file in.
    let sizes = [0usize, 1, 1024, 1025, 3 * 1024 * 1024 + 1000];
    b.script(
        "window.hashes = null;
         const sizes = [0, 1, 1024, 1025, 3 * 1024 * 1024 + 1000];
         const bytes = (n) => { const b = new Uint8Array(n);
           for (let i = 0; i < n; i++) b[i] = (i * 7 + Math.floor(i / 251)) & 255; return b; };
         Promise.all(sizes.map(async (n) => {
           const b = bytes(n);
           return [await window.dubanUpload.hashBlob(new Blob([b])), await window.dubanUpload.hashBytes(b)];
         })).then((r) => { window.hashes = r; }, (e) => { window.hashes = String(e); });",
    )
    .await;
    wait_long(&b, "return window.hashes !== null", "the page's hashes").await;
    let hashes = b.script("return window.hashes").await;
    for (i, n) in sizes.iter().enumerate() {
        let want = blake3::hash(&content(*n)).to_hex().to_string();
        assert_eq!(
            hashes[i][0],
            want.as_str(),
            "hashBlob of {n} bytes: {hashes}"
        );
        assert_eq!(hashes[i][1], want.as_str(), "hashBytes of {n} bytes");
    }

    // A photo through the camera input: what the phone pipeline makes of it, in the form.
    let jpeg = camera_jpeg();
    let shot = dir.join("site-photo.jpg");
    std::fs::write(&shot, &jpeg).expect("write the photo");
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let me = org
        .people
        .values()
        .find(|p| p.username == "supervisor")
        .expect("the supervisor");
    let phone = photo::process(
        &jpeg,
        &Capture {
            source: PhotoSource::Camera,
            // The camera's EXIF time and GPS win over the browser's clock and position.
            device_time: chrono::Utc::now().fixed_offset(),
            device_location: None,
            place: None,
            item_number: None,
            person: me.name.clone(),
            answers: None,
        },
        &Options::default(),
    )
    .expect("the pipeline");
    // Watch the list: a bar must show while a file is on its way.
    b.script(
        "window.seen = [];
         window.watch = setInterval(() => document.querySelectorAll('.upload-item progress')
           .forEach((p) => window.seen.push([p.value, p.max,
             p.parentElement.querySelector('.upload-state').textContent])), 5);",
    )
    .await;
    b.type_into(
        ".uploads[data-field=\"attachments\"] input[data-source=\"camera\"]",
        shot.to_str().expect("path"),
    )
    .await;
    wait_long(
        &b,
        "return document.querySelectorAll('.uploads input[type=hidden][name=attachments]').length === 1",
        "the photo's hidden field",
    )
    .await;
    let cited: Value = serde_json::from_str(
        b.script("return document.querySelector('.uploads input[name=attachments]').value")
            .await
            .as_str()
            .expect("value"),
    )
    .expect("BlobRef JSON");
    assert_eq!(cited["hash"], phone.evidence.hash.as_str(), "{cited}");
    assert_eq!(cited["photo"]["source"], "camera");
    assert_eq!(cited["photo"]["width"], 900, "turned upright");
    assert_eq!(cited["photo"]["time_source"], "exif");
    b.wait_for(
        "const i = document.querySelector('.upload-item[data-state=done] img'); return !!i && i.complete && i.naturalWidth > 0",
        "the photo's thumbnail",
    )
    .await;
    b.script("document.querySelector('.uploads').scrollIntoView()")
        .await;
    b.check_page("upload-photo").await;

    // A 3 MB file through the file input, its first chunk sent before (an interrupted
    // upload of this browser's session): the page asks, and sends only the rest.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(content(3 * 1024 * 1024));
    let plan = dir.join("plan.pdf");
    std::fs::write(&plan, &pdf).expect("write the file");
    let hash = blake3::hash(&pdf).to_hex().to_string();
    let cookie = format!("duban_session={}", b.cookie("duban_session").await);
    let csrf = b
        .script("return document.querySelector('input[name=csrf]').value")
        .await;
    let first = s
        .http
        .put(format!("{}/uploads/{hash}", s.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf.as_str().expect("token"))
        .header("content-type", "application/pdf")
        .header("content-range", format!("bytes 0-1048575/{}", pdf.len()))
        .body(pdf[..1024 * 1024].to_vec())
        .send()
        .await
        .expect("first chunk");
    assert_eq!(first.status(), 202);
    let kept_before = answered(&s, "PUT", "/uploads/{hash}", 202);
    let asked_before = answered(&s, "GET", "/uploads/{hash}/status", 200);
    // The network fails under the first chunk the page sends: it asks again and goes on.
    b.script(&format!(
        "window.dropped = 0;
         const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
         XMLHttpRequest.prototype.open = function (m, u) {{ this.target = m + ' ' + u; return open.apply(this, arguments); }};
         XMLHttpRequest.prototype.send = function (body) {{
           if (this.target === 'PUT /uploads/{hash}' && window.dropped === 0) {{
             window.dropped = 1; setTimeout(() => this.onerror(), 0); return;
           }}
           return send.apply(this, arguments);
         }};"
    ))
    .await;
    b.type_into(
        ".uploads[data-field=\"attachments\"] input[data-source=\"gallery\"]",
        plan.to_str().expect("path"),
    )
    .await;
    wait_long(
        &b,
        "return document.querySelectorAll('.uploads input[type=hidden][name=attachments]').length === 2",
        "the file's hidden field",
    )
    .await;
    b.script("clearInterval(window.watch)").await;
    // 3 MiB + 9 bytes from byte 1 MiB: two more chunks kept, the last one completes it.
    assert_eq!(
        b.script("return window.dropped").await,
        1,
        "a chunk was lost"
    );
    assert_eq!(
        answered(&s, "PUT", "/uploads/{hash}", 202) - kept_before,
        2,
        "resumed after the first MiB, in 1 MiB chunks, the lost one sent again"
    );
    assert_eq!(
        answered(&s, "GET", "/uploads/{hash}/status", 200) - asked_before,
        2,
        "asked where to go on, before and after the failure"
    );
    let seen = b.script("return window.seen").await;
    let seen = seen.as_array().expect("samples");
    assert!(
        seen.iter()
            .any(|v| v[2].as_str().is_some_and(|t| t.contains('%'))),
        "the progress was shown with its label: {seen:?}"
    );
    let stored = s
        .http
        .get(format!("{}/files/{hash}", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("file")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(stored.as_ref(), pdf.as_slice(), "stored byte for byte");
    b.script("document.querySelector('.uploads').scrollIntoView()")
        .await;
    b.check_page("upload-photo-and-file").await;

    // A photo the pipeline refuses: its code and both sentences at its line, to retry or
    // remove.
    let cut = dir.join("cut-short.jpg");
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).expect("write the damaged photo");
    b.type_into(
        ".uploads[data-field=\"attachments\"] input[data-source=\"camera\"]",
        cut.to_str().expect("path"),
    )
    .await;
    wait_long(
        &b,
        "return !!document.querySelector('.upload-item[data-state=failed][data-code=\"photo.corrupt\"] button.upload-retry')",
        "the refusal at the damaged photo",
    )
    .await;
    let said = b
        .script("return document.querySelector('.upload-item[data-state=failed] .upload-state').textContent")
        .await;
    assert!(
        said.as_str().is_some_and(|t| t.contains("损坏")
            && !t.contains("damaged")
            && t.contains("photo.corrupt")),
        "{said}"
    );
    b.script("document.querySelector('.upload-item[data-state=failed]').scrollIntoView()")
        .await;
    b.check_page("upload-refused").await;
    b.click(".upload-item[data-state=failed] button.upload-remove")
        .await;

    // Removed again; the registration cites what is left.
    b.click(&format!(
        ".upload-item[data-hash=\"{hash}\"] button.upload-remove"
    ))
    .await;
    assert_eq!(
        b.script("return document.querySelectorAll('.uploads input[name=attachments]').length")
            .await,
        1
    );
    b.type_into("#title", "积水点现场核查").await;
    b.script(
        "document.querySelector('#category').value = 'meeting_decision';
         document.querySelector('#deadline').value = '2027-03-01T18:00';
         document.querySelector('input[name=leads]').checked = true;",
    )
    .await;
    b.click("#submit").await;
    b.wait_for(
        "return !!document.querySelector('tr.done')",
        "the registration done",
    )
    .await;
    b.check_page("upload-registered").await;
    let token = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    let made = crate::web_register::items(&s, &token, "积水点现场核查").await;
    assert_eq!(made.len(), 1);
    let id = made[0]["id"].as_str().expect("id");
    let d = s
        .get(&token, &format!("/api/v1/tasks/{id}"))
        .await
        .expect(200);
    assert_eq!(d["evidence"].as_array().expect("files").len(), 1);
    assert_eq!(d["evidence"][0]["file"], cited);
    drop(b);
    let _ = std::fs::remove_dir_all(&dir);
}
