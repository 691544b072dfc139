//! What an accepted command writes beside its events, item by item: the trail (events
//! hash-chained, the files they cite), the item's row, who may see it (its audience) and
//! whom it names (the core's [`relations`], from which the views are built), and the feed
//! rows that carry all of it to the phones.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use duban_core::domain::batch::next_wake;
use duban_core::domain::derived::view::{relations, Party};
use duban_core::domain::permission::{audience, confidential_audience};
use duban_core::domain::trail::{entry_hash, Hash};
use duban_core::domain::Code;
use duban_core::domain::{EventKind, TaskState};
use serde_json::value::RawValue;

use super::Applied;
use crate::db::commands::Recorded;
use crate::db::{hotline, tasks, Batch, DbError, NewChange};
use crate::org::{to_json, Org};
use crate::search;

/// Queues one item's new events, row, audience and relations; adds its feed rows to `feed`
/// and its events to `records`, each with its position in `feed` as its `seq` (the feed's
/// numbers are given when it is appended). Returns the trail's new head.
pub(super) fn write_item(
    batch: &mut Batch,
    org: &Org,
    a: &Applied,
    hidden: Option<&BTreeMap<String, String>>,
    now: DateTime<Utc>,
    feed: &mut Vec<NewChange>,
    records: &mut Vec<Recorded>,
) -> Result<Hash, DbError> {
    let task = a.task.to_string();
    let at = now.timestamp_millis();
    let old = a.before.as_ref().map(|s| &s.state);

    // Who may see it: on a change, the feed carries the before and after audiences
    // (placed before the events, so a newcomer's grant holds the history up to them).
    let keys = |s: Option<&TaskState>, secret: bool| -> BTreeSet<String> {
        s.map(|s| {
            let set = if secret {
                confidential_audience(s, &org.tree)
            } else {
                audience(s, &org.tree)
            };
            set.iter().map(ToString::to_string).collect()
        })
        .unwrap_or_default()
    };
    let (view_before, view_after) = (keys(old, false), keys(Some(&a.after), false));
    let (secret_before, secret_after) = (keys(old, true), keys(Some(&a.after), true));
    if view_before != view_after || secret_before != secret_after {
        tasks::queue_audience(batch, &task, &view_after, &secret_after);
        feed.push(NewChange {
            kind: "access",
            task: Some(task.clone()),
            task_seq: None,
            hash: None,
            body: to_json(&serde_json::json!({
                "view_before": view_before, "view_after": view_after,
                "version_before": old.map_or(0, |s| s.version),
                "secret_before": secret_before, "secret_after": secret_after,
            })),
            at,
        });
    }

    // The trail.
    let mut prev = a.before.as_ref().map_or(Hash::GENESIS, |s| s.head);
    let mut task_seq = a.before.as_ref().map_or(0, |s| s.state.version);
    for e in &a.events {
        task_seq += 1;
        let hash = entry_hash(a.task, task_seq, prev, e);
        prev = hash;
        let json = to_json(e);
        records.push(Recorded {
            seq: feed.len() as i64,
            task: a.task,
            task_seq,
            hash: hash.to_hex(),
            event: RawValue::from_string(json.clone())
                .map_err(|e| DbError::Corrupt(format!("json: {e}")))?,
        });
        feed.push(NewChange {
            kind: "event",
            task: Some(task.clone()),
            task_seq: Some(task_seq as i64),
            hash: Some(hash.to_hex()),
            body: json,
            at,
        });
        for b in e.kind.files() {
            tasks::queue_blob_ref(batch, &b.hash.to_ascii_lowercase(), &task);
        }
        // An order posted by the upper platform: its number, once per line (the key refuses
        // a second item for it, also when two arrive at once).
        if let EventKind::Registered(r) = &e.kind {
            if let Some((intake, number)) = r
                .order
                .as_ref()
                .and_then(|o| o.platform_number.as_ref().map(|n| (o, n)))
            {
                hotline::queue_platform_order(batch, intake.line.code(), number.trim(), &task, at);
            }
        }
    }
    if let Some(fields) = hidden {
        let fields = to_json(fields);
        tasks::queue_secrets(batch, &task, &fields);
        feed.push(NewChange {
            kind: "secret",
            task: Some(task.clone()),
            task_seq: None,
            hash: None,
            body: fields,
            at,
        });
    }

    // The item's row.
    let s = &a.after;
    let number = s
        .number
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    tasks::queue_task(
        batch,
        tasks::TaskRow {
            id: &task,
            version: s.version as i64,
            head: prev.to_hex(),
            state: to_json(s),
            status: s.status.code().to_owned(),
            category: &s.category,
            urgency: s.urgency.code().to_owned(),
            visibility: s.visibility.code().to_owned(),
            search: search::item_text(&number, &s.title),
            search_content: search::content_of(a.events.iter().map(|e| &e.kind))
                .map(search::content_text),
            number,
            title: &s.title,
            lead_unit: s.lead.map(|l| l.unit.to_string()),
            parent: s.parent.map(|p| p.to_string()),
            creator: s.creator().map(|c| c.to_string()),
            deadline: s.deadline.map(|d| d.timestamp_millis()),
            created_at: s
                .created
                .as_ref()
                .map(|m| m.at.timestamp_millis())
                .unwrap_or(at),
            updated_at: at,
            wake_at: next_wake(s, now, &org.calendar, &org.policy).map(tasks::wake_millis),
        },
    );

    // Whom it names.
    let (people_before, units_before) = old.map(named).unwrap_or_default();
    let (people_after, units_after) = named(s);
    if people_before != people_after {
        tasks::queue_people(batch, &task, &people_after);
    }
    if units_before != units_after {
        tasks::queue_units(batch, &task, &units_after);
    }
    Ok(prev)
}

type Named = (
    BTreeSet<(&'static str, String)>,
    BTreeSet<(&'static str, String)>,
);

/// The people and the units the item names, as stored: `(relation, id)` pairs.
fn named(s: &TaskState) -> Named {
    let mut people = BTreeSet::new();
    let mut units = BTreeSet::new();
    for (relation, party) in relations(s) {
        match party {
            Party::Person(u) => people.insert((relation.code(), u.to_string())),
            Party::Unit(u) => units.insert((relation.code(), u.to_string())),
        };
    }
    (people, units)
}
