//! The jobs table on both databases: a job lives and dies with its transaction, is kept once
//! per dedupe key, is claimed by one claimer only even when several claim at once, waits
//! with a backoff after a failure, is set aside as dead after too many, and is taken again
//! when a claimer's lease runs out.

use chrono::{Duration, Utc};
use duban_server::jobs::{self, backoff, claim, complete, enqueue, fail, MAX_ATTEMPTS};

use crate::support::*;

async fn count(s: &Server, state: &str) -> i64 {
    s.scalar(
        "SELECT COUNT(*) FROM jobs WHERE state = $1",
        vec![duban_server::db::Val::from(state)],
    )
    .await
}

both!(
    a_job_lives_and_dies_with_its_transaction_and_is_kept_once,
    |s: Server| async move {
        let now = Utc::now();
        let mut tx = s.state.db.write().await.expect("tx");
        for n in 0..3 {
            assert!(
                enqueue(&mut tx, "deliver", &format!("{{\"n\":{n}}}"), None, now)
                    .await
                    .expect("enqueue")
            );
        }
        drop(tx); // rolled back
        assert_eq!(
            count(&s, "queued").await,
            0,
            "a rolled-back change leaves no job"
        );
        let mut tx = s.state.db.write().await.expect("tx");
        assert!(enqueue(&mut tx, "deliver", "{}", Some("notice-1:fcm"), now)
            .await
            .unwrap());
        assert!(
            !enqueue(&mut tx, "deliver", "{}", Some("notice-1:fcm"), now)
                .await
                .unwrap(),
            "kept once"
        );
        assert!(
            enqueue(&mut tx, "deliver", "{}", None, now + Duration::hours(1))
                .await
                .unwrap()
        );
        tx.commit().await.expect("commit");
        assert_eq!(count(&s, "queued").await, 2);
        // Only the due one is claimed.
        let got = claim(&s.state.db, now, 10).await.expect("claim");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].attempts, 1);
        complete(&s.state.db, &got[0].id, now).await.unwrap();
        assert_eq!(count(&s, "done").await, 1);
        assert!(claim(&s.state.db, now, 10).await.unwrap().is_empty());
    }
);

both!(
    claimers_at_once_never_take_the_same_job,
    |s: Server| async move {
        let now = Utc::now();
        let mut tx = s.state.db.write().await.expect("tx");
        for n in 0..40 {
            enqueue(&mut tx, "deliver", &format!("{{\"n\":{n}}}"), None, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let db = &s.state.db;
        let (a, b, c, d) = tokio::join!(
            claim(db, now, 10),
            claim(db, now, 10),
            claim(db, now, 10),
            claim(db, now, 10)
        );
        let mut ids: Vec<String> = [a, b, c, d]
            .into_iter()
            .flat_map(|r| r.expect("claim").into_iter().map(|j| j.id))
            .collect();
        let total = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), total, "no job twice");
        assert_eq!(total, 40, "and all of them");
    }
);

both!(
    a_failed_job_waits_then_is_set_aside_and_a_lapsed_lease_frees_it,
    |s: Server| async move {
        let db = &s.state.db;
        let mut now = Utc::now();
        let mut tx = db.write().await.unwrap();
        enqueue(&mut tx, "deliver", "{}", None, now).await.unwrap();
        tx.commit().await.unwrap();
        // A claimer dies holding the job: after the lease, another takes it.
        let first = claim(db, now, 1).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(
            claim(db, now + Duration::minutes(1), 1)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        now += jobs::LEASE + Duration::seconds(1);
        let again = claim(db, now, 1).await.unwrap();
        assert_eq!(
            (again[0].id.as_str(), again[0].attempts),
            (first[0].id.as_str(), 2)
        );
        // The service asks for 7 s: the job waits exactly that.
        assert!(!fail(
            db,
            &again[0],
            "FCM 429",
            Some(std::time::Duration::from_secs(7)),
            false,
            now
        )
        .await
        .unwrap());
        assert!(claim(db, now + Duration::seconds(6), 1)
            .await
            .unwrap()
            .is_empty());
        now += Duration::seconds(7);
        let mut job = claim(db, now, 1).await.unwrap().remove(0);
        // Then failures back off until MAX_ATTEMPTS, and the job is dead with its error.
        loop {
            let dead = fail(db, &job, "FCM 503 UNAVAILABLE", None, false, now)
                .await
                .unwrap();
            if dead {
                break;
            }
            let wait = backoff(job.attempts);
            assert!(
                claim(db, now + wait - Duration::seconds(1), 1)
                    .await
                    .unwrap()
                    .is_empty(),
                "not before the backoff"
            );
            now += wait;
            job = claim(db, now, 1).await.unwrap().remove(0);
        }
        assert_eq!(job.attempts, MAX_ATTEMPTS);
        assert_eq!(count(&s, "dead").await, 1);
        let err = s
            .state
            .db
            .rows("SELECT last_error FROM jobs", vec![])
            .await
            .unwrap();
        assert_eq!(err[0].text(0).unwrap(), "FCM 503 UNAVAILABLE");
        assert!(
            claim(db, now + Duration::days(30), 1)
                .await
                .unwrap()
                .is_empty(),
            "a dead job stays set aside"
        );
        // A permanent refusal is dead at once.
        let mut tx = db.write().await.unwrap();
        enqueue(&mut tx, "deliver", "{}", None, now).await.unwrap();
        tx.commit().await.unwrap();
        let j = claim(db, now, 1).await.unwrap().remove(0);
        assert!(fail(db, &j, "malformed", None, true, now).await.unwrap());
        assert_eq!(count(&s, "dead").await, 2);
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(20), Duration::hours(1));
    }
);
