//! The sync protocol: push (idempotent, serialised by the rules), pull (only what the person
//! may see; grants and revokes), snapshot.

use serde_json::json;

use crate::support::*;

both!(
    a_handler_sees_only_their_units_items,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (ta, tb) = (tid(), tid());
        s.ok(&sup, register(&ta, "甲单位的事项")).await;
        s.ok(&sup, dispatch(&ta, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, register(&tb, "乙单位的事项")).await;
        s.ok(&sup, dispatch(&tb, f.unit_b, None)).await;

        let a = s.login("staff-a").await;
        let changes = s.pull_all(&a, 0).await;
        let text = serde_json::to_string(&changes).unwrap();
        assert!(text.contains(&ta), "A's item reaches A");
        assert!(!text.contains(&tb), "B's item never reaches A");
        assert!(!text.contains("乙单位的事项"));
        let snap = s.get(&a, "/api/v1/sync/snapshot").await.expect(200);
        let text = snap["tasks"].to_string();
        assert!(text.contains(&ta) && !text.contains(&tb));

        let b = s.login("staff-b").await;
        let text = serde_json::to_string(&s.pull_all(&b, 0).await).unwrap();
        assert!(text.contains(&tb) && !text.contains(&ta));
        s.refused(&b, simple(&ta, "follow", json!({})), "perm.denied")
            .await;
    }
);

both!(
    the_same_push_three_times_applies_once,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        let reg = register(&t, "重复推送");
        let disp = dispatch(&t, f.unit_a, None);
        let first = s.push(&sup, vec![reg.clone(), disp.clone()]).await;
        let second = s.push(&sup, vec![reg.clone(), disp.clone()]).await;
        let third = s.push(&sup, vec![reg, disp]).await;
        assert_eq!(first, second);
        assert_eq!(first, third);
        assert_eq!(first[0]["status"], "accepted");
        let n = s
            .state
            .db
            .row("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
            .await
            .unwrap()
            .unwrap()
            .int(0)
            .unwrap();
        assert_eq!(n, 2, "register and dispatch, once each");
    }
);
