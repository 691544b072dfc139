//! A phone killed during sync, 50 times over: the worker's phone is a process of its own
//! (`field-client`), killed with SIGKILL after a random delay or aborted at a random crash
//! point (in the middle of a store transaction, after a push was answered and before the
//! answer was recorded, between the chunks of an upload). After each restart the outbox, the
//! store and the server must agree: every report once, none lost, none doubled.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use duban_core::client::Client;
use duban_core::domain::Command;
use duban_tests::both;

use crate::world::*;

const ROUNDS: u32 = 50;

/// A small xorshift generator; the seed is printed so that a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn new() -> Dice {
        let seed = std::env::var("DUBAN_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
                    | 1
            });
        eprintln!("crash test seed: DUBAN_CRASH_SEED={seed}");
        Dice(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs the field client on the store; `fault` is a crash point number or a kill delay.
async fn run_client(store: &std::path::Path, url: &str, fault: Option<Fault>) -> bool {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_field-client"));
    cmd.arg(store)
        .arg(url)
        .arg("1000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(Fault::CrashAt(n)) = fault {
        cmd.env("DUBAN_CRASH_AT", n.to_string());
    }
    let mut child = cmd.spawn().expect("start field-client");
    if let Some(Fault::KillAfter(ms)) = fault {
        tokio::select! {
            status = child.wait() => return status.map(|s| s.success()).unwrap_or(false),
            _ = tokio::time::sleep(Duration::from_millis(ms)) => {
                let _ = child.kill().await;
                return false;
            }
        }
    }
    tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("field-client finishes")
        .map(|s| s.success())
        .unwrap_or(false)
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    CrashAt(u64),
    KillAfter(u64),
}

both!(
    a_phone_killed_at_random_points_during_sync_loses_and_doubles_nothing,
    |s: duban_tests::TestServer| async move {
        let sup = phone(&s, "supervisor").await;
        let task = dispatched(
            &sup,
            s.unit("a"),
            Some(s.user("worker")),
            None,
            "疏通排水管网",
        )
        .await;
        let path = duban_tests::temp_dir().join("worker.db");
        {
            let c = Client::open(&path, &s.url(), config()).expect("open");
            c.sign_in("worker", duban_tests::PASSWORD)
                .await
                .expect("sign in");
            c.sync_now().await.expect("sync");
            c.issue(task, Command::Receive).expect("receive");
            c.sync_now().await.expect("sync");
        }
        let mut dice = Dice::new();
        let mut reports = BTreeSet::new();
        let mut notes = BTreeSet::new();
        let mut photos = BTreeSet::new();
        let (mut crashed, mut killed, mut cut_short) = (0, 0, 0);
        for round in 0..ROUNDS {
            // The worker writes a report with a photo (three upload chunks) and a comment.
            {
                let c = Client::open(&path, &s.url(), config()).expect("open");
                let shot = photo(1000 + round, 2500 + dice.below(500) as usize);
                let evidence = c.attach(&shot, "image/jpeg", "现场.jpg").expect("attach");
                photos.insert(evidence.hash.clone());
                let report = progress(
                    &format!("第{round}次进展"),
                    (round + 1) as u8,
                    vec![evidence],
                );
                if let Command::ReportProgress { report: body, .. } = &report {
                    reports.insert(body.id.0);
                }
                c.issue(task, report).expect("report");
                let note = uuid::Uuid::new_v4();
                notes.insert(note);
                c.issue(
                    task,
                    Command::Comment {
                        id: duban_core::domain::model::NoteId(note),
                        text: format!("补充说明{round}"),
                        reply_to: None,
                    },
                )
                .expect("comment");
            }
            // The sync is cut short at a random point...
            let fault = if dice.below(2) == 0 {
                crashed += 1;
                Fault::CrashAt(1 + dice.below(6))
            } else {
                killed += 1;
                Fault::KillAfter(5 + dice.below(40))
            };
            if !run_client(&path, &s.url(), Some(fault)).await {
                cut_short += 1;
            }
            // ...and after a restart it completes.
            assert!(
                run_client(&path, &s.url(), None).await,
                "round {round}: the restarted sync completes ({fault:?})"
            );

            let c = Client::open(&path, &s.url(), config()).expect("open");
            assert!(
                c.pending().expect("pending").is_empty(),
                "round {round}: outbox empty"
            );
            assert!(
                c.attention().expect("attention").is_empty(),
                "round {round}: nothing refused"
            );
            let trail = s.server_trail(task).await;
            let on_server = |kind: &str, field: &str| -> Vec<uuid::Uuid> {
                trail
                    .iter()
                    .filter(|(_, _, e)| e["kind"]["event"] == kind)
                    .filter_map(|(_, _, e)| {
                        let v = if kind == "progress_reported" {
                            &e["kind"]["report"][field]
                        } else {
                            &e["kind"][field]
                        };
                        v.as_str().and_then(|s| s.parse().ok())
                    })
                    .collect()
            };
            let got = on_server("progress_reported", "id");
            assert_eq!(
                got.len(),
                reports.len(),
                "round {round}: every report once ({fault:?})"
            );
            assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), reports);
            let got = on_server("commented", "id");
            assert_eq!(
                got.len(),
                notes.len(),
                "round {round}: every comment once ({fault:?})"
            );
            assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), notes);
            agrees(&s, &c, task).await;
        }
        for hash in &photos {
            let (_, bytes) = sup
                .file(hash)
                .await
                .expect("every photo reached the server");
            assert_eq!(blake3::hash(&bytes).to_hex().as_str(), hash);
        }
        eprintln!("{ROUNDS} rounds: {crashed} with a crash point, {killed} with a kill; {cut_short} syncs cut short");
        // Not vacuous: most syncs really were cut short.
        assert!(
            cut_short >= ROUNDS / 2,
            "only {cut_short} of {ROUNDS} syncs were cut short"
        );
    }
);
