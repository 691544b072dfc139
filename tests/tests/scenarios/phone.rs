//! The phone core against the real server: a field rectification written offline, a
//! conflict with a revocation, a person moved out of a unit, a server restored from backup,
//! and notifications: the phone's list equals the server's inbox, a read receipt written
//! offline reaches the server once, the push registration comes and goes with the session.

use duban_core::client::ErrorKind;
use duban_core::domain::derived::duty::Duty;
use duban_core::domain::derived::view::View;
use duban_core::domain::{Command, Status};
use duban_core::sync::SyncState;
use duban_tests::both;

use crate::world::*;

both!(
    a_field_rectification_written_offline_arrives_once_in_order,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        let leader = phone(&s, "leader").await;
        // 1. The supervisor registers and dispatches the rectification.
        let task = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            Some(s.user("leader")),
            "清理占道建筑垃圾",
        )
        .await;

        // 2. The worker's phone receives it; then the server becomes unreachable.
        worker.sync_now().await.expect("sync");
        let inbox = worker.inbox().expect("inbox");
        let entry = inbox
            .iter()
            .find(|e| e.item.id == task)
            .expect("in the inbox");
        assert!(
            entry.duties.iter().any(|d| d.duty == Duty::Receive),
            "{entry:?}"
        );
        assert!(
            !worker.notifications().expect("notifications").is_empty(),
            "a dispatch notifies the handler"
        );
        s.cut();

        // 3. Offline: receive, two progress reports with photos.
        let photos: Vec<Vec<u8>> = (0..3).map(|n| photo(n, 300_000)).collect();
        let refs: Vec<_> = photos
            .iter()
            .enumerate()
            .map(|(i, p)| {
                worker
                    .attach(p, "image/jpeg", &format!("现场{i}.jpg"))
                    .expect("attach")
            })
            .collect();
        worker.issue(task, Command::Receive).expect("receive");
        worker
            .issue(
                task,
                progress("已清理一半,见现场照片", 50, vec![refs[0].clone()]),
            )
            .expect("report 1");
        worker
            .issue(task, progress("已全部清理,待复核", 90, refs[1..].to_vec()))
            .expect("report 2");
        let err = worker.sync_now().await.expect_err("offline");
        assert_eq!(err.kind, ErrorKind::Offline, "{err:?}");
        assert!(matches!(worker.sync_state(), SyncState::Offline { .. }));
        let view = worker.item(task).expect("item").expect("held");
        assert_eq!(view.state.status, Status::InProgress, "shown at once");
        assert_eq!(view.state.progress, 90);
        assert_eq!(view.pending.len(), 3);
        assert_eq!(view.trail.iter().filter(|l| l.pending).count(), 3);

        // 4. Back online: everything arrives once, in order, with the photos intact.
        s.restore();
        let r = worker.sync_now().await.expect("sync");
        assert_eq!((r.accepted, r.rejected, r.uploaded), (3, 0, 3), "{r:?}");
        assert!(matches!(
            worker.sync_state(),
            SyncState::Idle {
                last_synced: Some(_)
            }
        ));
        assert!(worker.pending().expect("pending").is_empty());
        // A second sync sends nothing again.
        assert_eq!(worker.sync_now().await.expect("sync").accepted, 0);
        let trail = s.server_trail(task).await;
        let kinds: Vec<&str> = trail
            .iter()
            .map(|(_, _, e)| e["kind"]["event"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            &kinds[2..],
            &["received", "progress_reported", "progress_reported"],
            "{kinds:?}"
        );
        sup.sync_now().await.expect("sync");
        for (p, r) in photos.iter().zip(&refs) {
            let (mime, bytes) = sup
                .file(&r.hash)
                .await
                .expect("the supervisor fetches the photo");
            assert_eq!(mime, "image/jpeg");
            assert_eq!(blake3::hash(&bytes).to_hex().as_str(), r.hash);
            assert_eq!(&bytes, p);
        }

        // 5. Completion, returned, reported again, accepted, rated, closed.
        let after = worker
            .attach(&photo(9, 200_000), "image/jpeg", "整改后.jpg")
            .expect("attach");
        worker
            .issue(task, completion("已清理完毕", vec![after.clone()]))
            .expect("complete");
        worker.sync_now().await.expect("sync");
        sup.sync_now().await.expect("sync");
        assert!(sup
            .inbox()
            .expect("inbox")
            .iter()
            .any(|e| e.item.id == task && e.duties.iter().any(|d| d.duty == Duty::Review)));
        sup.issue(
            task,
            Command::Review {
                accept: false,
                opinion: "缺少整改前照片".into(),
                new_deadline: Some(deadline(10)),
            },
        )
        .expect("return");
        sup.sync_now().await.expect("sync");
        worker.sync_now().await.expect("sync");
        assert!(
            worker
                .notifications()
                .expect("n")
                .iter()
                .any(|n| n.task == task && n.kind == "returned"),
            "a return notifies the handler"
        );
        worker
            .issue(task, completion("已补充整改前后对比照片", vec![after]))
            .expect("complete again");
        worker.sync_now().await.expect("sync");
        sup.sync_now().await.expect("sync");
        sup.issue(
            task,
            Command::Review {
                accept: true,
                opinion: "整改到位".into(),
                new_deadline: None,
            },
        )
        .expect("accept");
        sup.sync_now().await.expect("sync");
        leader.sync_now().await.expect("sync");
        assert!(leader
            .inbox()
            .expect("inbox")
            .iter()
            .any(|e| e.item.id == task && e.duties.iter().any(|d| d.duty == Duty::Rate)));
        leader
            .issue(
                task,
                Command::Rate {
                    stars: 5,
                    opinion: "处置及时".into(),
                },
            )
            .expect("rate");
        leader.sync_now().await.expect("sync");
        sup.sync_now().await.expect("sync");
        sup.issue(task, Command::Close).expect("close");
        sup.sync_now().await.expect("sync");

        // 6. Every phone's trail equals the server's and verifies.
        for phone in [&sup, &worker, &leader] {
            phone.sync_now().await.expect("sync");
            agrees(&s, phone, task).await;
            assert_eq!(
                phone.item(task).expect("item").expect("held").state.status,
                Status::Closed
            );
        }
    }
);

both!(
    a_revocation_while_offline_sets_the_reports_aside_and_loses_nothing,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        let task = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "修复破损护栏",
        )
        .await;
        worker.sync_now().await.expect("sync");
        worker.issue(task, Command::Receive).expect("receive");
        worker.sync_now().await.expect("sync");

        // The worker goes offline and reports twice; meanwhile the creator revokes the item
        // (the supervisor's phone reaches the server directly).
        s.cut();
        let shot = photo(7, 100_000);
        let evidence = worker
            .attach(&shot, "image/jpeg", "护栏.jpg")
            .expect("attach");
        worker
            .issue(task, progress("护栏已拆除旧件", 40, vec![evidence.clone()]))
            .expect("report 1");
        worker
            .issue(task, progress("新护栏已安装", 80, Vec::new()))
            .expect("report 2");
        assert_eq!(
            worker.sync_now().await.expect_err("offline").kind,
            ErrorKind::Offline
        );
        let direct = duban_core::client::Client::open(
            duban_tests::temp_dir().join("direct.db"),
            &s.server_url(),
            config(),
        )
        .expect("open");
        direct
            .sign_in("supervisor", duban_tests::PASSWORD)
            .await
            .expect("sign in");
        direct.sync_now().await.expect("sync");
        direct
            .issue(
                task,
                Command::Revoke {
                    reason: "已由上级统一处置".into(),
                },
            )
            .expect("revoke");
        assert_eq!(direct.sync_now().await.expect("sync").accepted, 1);

        // Back online: both reports are refused with the server's reason, and kept.
        s.restore();
        let r = worker.sync_now().await.expect("sync");
        assert_eq!((r.accepted, r.rejected), (0, 2), "{r:?}");
        assert!(worker.pending().expect("pending").is_empty());
        let attention = worker.attention().expect("attention");
        assert_eq!(attention.len(), 2);
        for a in &attention {
            assert_eq!(a.task, task);
            assert_eq!(a.code, "task.revoked", "{a:?}");
            assert!(!a.zh.is_empty() && !a.en.is_empty());
        }
        assert!(
            matches!(&attention[0].command, Command::ReportProgress { report, .. } if report.text == "护栏已拆除旧件" && report.evidence == vec![evidence.clone()])
        );
        let (_, kept) = worker
            .file(&evidence.hash)
            .await
            .expect("the photo is still on the device");
        assert_eq!(kept, shot);
        // The item shows as revoked, and the server has no report.
        let trail = s.server_trail(task).await;
        assert!(trail
            .iter()
            .all(|(_, _, e)| e["kind"]["event"] != "progress_reported"));
        if let Some(item) = worker.item(task).expect("item") {
            assert_eq!(item.state.status, Status::Revoked);
            assert_eq!(item.attention.len(), 2);
            agrees(&s, &worker, task).await;
        }
        // Given up, an entry leaves the list.
        worker.discard(attention[1].id).expect("discard");
        assert_eq!(worker.attention().expect("attention").len(), 1);
    }
);

both!(
    a_person_moved_out_of_a_unit_loses_its_items_on_the_next_sync,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker2 = phone(&s, "worker2").await;
        let for_a = dispatched(&sup, s.unit("a"), None, None, "住建局整改事项").await;
        let for_b = dispatched(&sup, s.unit("b"), None, None, "环保局整改事项").await;
        worker2.sync_now().await.expect("sync");
        assert!(
            worker2.item(for_a).expect("item").is_some(),
            "unit A's staff see A's item"
        );
        assert!(worker2.item(for_b).expect("item").is_none());
        assert!(worker2
            .items(View::Department, 0, 50)
            .expect("items")
            .iter()
            .any(|i| i.id == for_a));

        s.move_user("worker2", "b").await;
        let r = worker2.sync_now().await.expect("sync");
        assert!(r.rebased, "{r:?}");
        assert!(worker2.item(for_a).expect("item").is_none(), "purged");
        assert!(worker2
            .with_store(|st| st.trail(for_a))
            .expect("trail")
            .is_empty());
        assert!(
            worker2.item(for_b).expect("item").is_some(),
            "B's item arrives"
        );
        assert_eq!(worker2.me().expect("me").unit, Some(s.unit("b")));
        agrees(&s, &worker2, for_b).await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_backup_makes_phones_take_a_new_snapshot() {
    duban_tests::bounded(async {
        let mut s = duban_tests::TestServer::start(duban_tests::Backend::Sqlite).await;
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        let kept = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "备份前的事项",
        )
        .await;
        worker.sync_now().await.expect("sync");
        let backup = s.backup().await;
        let lost = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "备份后的事项",
        )
        .await;
        worker.sync_now().await.expect("sync");
        assert!(worker.item(lost).expect("item").is_some());

        s.restart_from(&backup).await;
        let r = worker.sync_now().await.expect("sync");
        assert!(r.rebased, "{r:?}");
        assert!(
            worker.item(lost).expect("item").is_none(),
            "what the server lost is gone"
        );
        agrees(&s, &worker, kept).await;
        assert_eq!(
            worker.with_store(|st| st.cursor()).expect("cursor"),
            s.head().await
        );
    })
    .await;
}

both!(
    the_phone_and_the_server_tell_the_same_notifications_and_a_read_one_is_read_on_both,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        // The app registers the token its push service gave it.
        let device = worker
            .register_push(
                duban_core::protocol::Platform::Harmony,
                duban_core::protocol::PushProvider::Hms,
                "IQAAAACy0kYbAAC1Xq",
                "1.2.0",
            )
            .await
            .expect("register");
        assert_eq!(device.app_version, "1.2.0");
        let task = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "修补破损护栏",
        )
        .await;
        sup.issue(
            task,
            Command::Urge {
                channel: duban_core::domain::command::UrgeChannel::Message,
                note: "请尽快处理".into(),
                call: None,
            },
        )
        .expect("urge");
        sup.sync_now().await.expect("sync");
        worker.sync_now().await.expect("sync");

        // The same events, the same people: the phone's list is the server's inbox.
        let token = s.login("worker").await;
        let (status, inbox) = s.get(&token, "/api/v1/notifications").await;
        assert_eq!(status, 200, "{inbox}");
        let server: std::collections::BTreeSet<(String, u64)> = inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|n| {
                (
                    n["task"].as_str().unwrap().to_owned(),
                    n["task_seq"].as_u64().unwrap(),
                )
            })
            .collect();
        let on_phone: Vec<_> = worker.notifications().expect("notifications");
        let phone_set: std::collections::BTreeSet<(String, u64)> = on_phone
            .iter()
            .map(|n| (n.task.to_string(), n.task_seq))
            .collect();
        assert_eq!(phone_set, server, "{on_phone:?} / {inbox}");
        assert_eq!(server.len(), 2, "the dispatch and the urging: {inbox}");
        assert_eq!(inbox["unread"], 2);

        // Read on the phone, offline: the receipt goes with the next sync, once.
        s.cut();
        let urged = on_phone
            .iter()
            .find(|n| n.kind == "urged")
            .expect("the urging");
        worker.mark_read(Some(urged.id)).expect("read");
        assert!(worker.sync_now().await.is_err(), "offline");
        s.restore();
        let r = worker.sync_now().await.expect("sync");
        assert_eq!(r.receipts, 1, "{r:?}");
        let (_, inbox) = s.get(&token, "/api/v1/notifications").await;
        assert_eq!(inbox["unread"], 1, "{inbox}");
        let read = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["task_seq"].as_u64() == Some(urged.task_seq))
            .expect("on the server");
        assert!(read["read_at"].is_string(), "{read}");
        let again = worker.sync_now().await.expect("sync");
        assert_eq!(again.receipts, 0, "a receipt is sent once");
        let phones = || async {
            s.scalar(
                "SELECT COUNT(*) FROM devices WHERE provider = 'hms'",
                vec![],
            )
            .await
        };
        assert_eq!(
            phones().await,
            1,
            "the phone's registration is on the server"
        );
        worker.sign_out(false).await.expect("sign out");
        assert_eq!(phones().await, 0, "signing out removes it");
    }
);

both!(
    a_notification_read_elsewhere_is_read_on_the_phone_with_no_receipt_back,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let worker = phone(&s, "worker").await;
        let task = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "修补破损护栏",
        )
        .await;
        worker.sync_now().await.expect("sync");
        let held = worker.notifications().expect("notifications");
        let n = held
            .iter()
            .find(|n| n.task == task)
            .expect("the dispatch is on the phone")
            .clone();
        assert!(!n.read);

        // Read on the PC (the inbox page marks through the same path as the API).
        let token = s.login("worker").await;
        let (status, out) = s
            .send(
                &token,
                reqwest::Method::POST,
                "/api/v1/notifications/read",
                serde_json::json!({"events": [{"task": task, "task_seq": n.task_seq}]}),
            )
            .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["marked"], 1, "{out}");

        // The phone's next sync brings the read change: its copy is read, nothing goes back.
        let r = worker.sync_now().await.expect("sync");
        assert_eq!(r.receipts, 0, "no receipt for what the server told: {r:?}");
        let now = worker.notifications().expect("notifications");
        let same = now.iter().find(|x| x.id == n.id).expect("still listed");
        assert!(same.read, "read on the phone too: {same:?}");
        let again = worker.sync_now().await.expect("sync");
        assert_eq!(again.receipts, 0);
        // The supervisor's phone holds nothing of the worker's reading.
        sup.sync_now().await.expect("sync");
        assert!(sup
            .notifications()
            .expect("notifications")
            .iter()
            .all(|x| x.task != task || !x.read));
    }
);
