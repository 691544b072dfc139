//! Photo evidence of a rectification, end to end (R5.2, R5.4): the supervisor registers the
//! problem with a "before" photo taken through the capture pipeline; the worker, offline,
//! photographs the fix (answering the before photo) and adds a gallery picture; back online
//! both variants of every photo reach the server byte-identical; the reviewer's phone and
//! the server show the pair and the warning on the gallery picture; someone in another unit
//! can fetch none of it.

use duban_core::client::Shot;
use duban_core::domain::model::{GeoPoint, PhotoSource, TimeSource};
use duban_core::domain::Command;
use duban_tests::both;

use crate::world::*;

/// A camera's JPEG of a textured scene, different for each `n`.
fn camera_jpeg(n: u32) -> Vec<u8> {
    let (w, h) = (1200u16, 900u16);
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| {
            let (x, y) = (i % u32::from(w), i / u32::from(w));
            [
                ((x * 3 + n * 40) % 256) as u8,
                ((y * 2 + n * 90) % 256) as u8,
                ((x ^ y) % 256) as u8,
            ]
        })
        .collect();
    duban_core::photo::encode(
        &duban_core::photo::raster::Rgb {
            width: u32::from(w),
            height: u32::from(h),
            data: pixels,
        },
        90,
    )
    .expect("encode")
}

fn shot(source: PhotoSource) -> Shot {
    Shot {
        source,
        utc_offset_minutes: 480,
        location: GeoPoint::from_degrees(36.8103, 118.0552),
        place: Some("城关镇解放路".into()),
        task: None,
        answers: None,
    }
}

both!(
    a_rectification_is_proved_with_paired_photos_that_reach_the_server_intact,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        let outsider = phone(&s, "staff-b").await;

        // The problem as found, photographed through the pipeline and cited at registration.
        let before = sup
            .attach_photo(&camera_jpeg(1), &shot(PhotoSource::Camera))
            .expect("the before photo");
        let task = sup.new_task_id();
        let Command::Register(mut reg) = rectification("清理河道垃圾") else {
            unreachable!()
        };
        reg.attachments = vec![before.clone()];
        sup.issue(task, Command::Register(reg)).expect("register");
        sup.issue(task, dispatch(s.unit("a"), Some(s.user("worker")), None))
            .expect("dispatch");
        let r = sup.sync_now().await.expect("sync");
        assert_eq!(
            (r.accepted, r.uploaded),
            (2, 2),
            "image and thumbnail: {r:?}"
        );

        // The worker receives it, then works offline.
        worker.sync_now().await.expect("sync");
        worker.issue(task, Command::Receive).expect("receive");
        s.cut();
        let mut fix = shot(PhotoSource::Camera);
        fix.task = Some(task);
        fix.answers = Some(before.hash.clone());
        let after = worker
            .attach_photo(&camera_jpeg(2), &fix)
            .expect("after photo");
        let mut old = shot(PhotoSource::Gallery);
        old.task = Some(task);
        let picked = worker
            .attach_photo(&camera_jpeg(3), &old)
            .expect("gallery photo");
        let meta = after.photo.as_deref().expect("metadata");
        assert_eq!(meta.source, PhotoSource::Camera);
        assert_eq!(
            meta.time_source,
            TimeSource::Device,
            "a JPEG without EXIF time"
        );
        assert_eq!(meta.answers.as_deref(), Some(before.hash.as_str()));
        assert_eq!((meta.width, meta.height), (1200, 900));
        worker
            .issue(
                task,
                progress(
                    "河道已清理,见整改前后对照",
                    100,
                    vec![after.clone(), picked.clone()],
                ),
            )
            .expect("report");
        assert!(worker.sync_now().await.is_err(), "offline");

        // Back online: two photos, four files, once each.
        s.restore();
        let r = worker.sync_now().await.expect("sync");
        assert_eq!((r.accepted, r.rejected, r.uploaded), (2, 0, 4), "{r:?}");

        // The event that cites the photos records their hashes and metadata, in the trail.
        let trail = s.server_trail(task).await;
        let (_, _, reported) = trail
            .iter()
            .find(|(_, _, e)| e["kind"]["event"] == "progress_reported")
            .expect("the report is in the trail");
        let cited = &reported["kind"]["report"]["evidence"];
        assert_eq!(cited[0]["hash"], after.hash.as_str());
        assert_eq!(
            cited[0]["photo"]["thumbnail"]["hash"],
            meta.thumbnail.hash.as_str()
        );
        assert_eq!(cited[0]["photo"]["answers"], before.hash.as_str());
        assert_eq!(cited[1]["photo"]["source"], "gallery");

        // The supervisor's phone shows the pair and the gallery warning; the files are the
        // worker's bytes exactly.
        sup.sync_now().await.expect("sync");
        let detail = sup.item(task).expect("item").expect("held");
        assert_eq!(detail.photo_pairs.len(), 1);
        assert_eq!(detail.photo_pairs[0].before, before);
        assert_eq!(detail.photo_pairs[0].after, vec![after.clone()]);
        let warnings = |hash: &str| -> Vec<String> {
            detail
                .evidence
                .iter()
                .find(|c| c.file.hash == hash)
                .map(|c| c.warnings.iter().map(|w| w.code.clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            warnings(&picked.hash),
            ["evidence.from_gallery", "evidence.time_from_device"]
        );
        assert_eq!(warnings(&after.hash), ["evidence.time_from_device"]);
        for file in [&after, &picked] {
            for stored in file.stored() {
                let (mime, bytes) = sup.file(&stored.hash).await.expect("fetched");
                assert_eq!(mime, "image/jpeg");
                assert_eq!(blake3::hash(&bytes).to_hex().as_str(), stored.hash);
                let (_, mine) = worker
                    .with_store(|st| st.blob(&stored.hash, chrono::Utc::now()))
                    .expect("store")
                    .expect("kept on the worker's phone");
                assert_eq!(bytes, mine);
            }
        }
        // The server says the same to the reviewer.
        let token = s.login("supervisor").await;
        let (status, body) = s.get(&token, &format!("/api/v1/tasks/{task}")).await;
        assert_eq!(status, duban_tests::StatusCode::OK, "{body}");
        assert_eq!(
            body["photo_pairs"][0]["after"][0]["hash"],
            after.hash.as_str()
        );
        assert_eq!(
            serde_json::to_value(&detail.evidence).expect("json"),
            body["evidence"],
            "phone and server agree on the evidence checks"
        );
        // Someone in another unit sees neither the item nor its photos.
        outsider.sync_now().await.expect("sync");
        assert!(outsider.item(task).expect("item").is_none());
        for stored in after.stored().chain(before.stored()) {
            let e = outsider.file(&stored.hash).await.expect_err("not theirs");
            assert_eq!(e.code, "not_found", "{e:?}");
        }
        agrees(&s, &worker, task).await;
        agrees(&s, &sup, task).await;
    }
);
