//! The views of R8.2 two ways: the server lists an item under a view in SQL
//! (`GET /tasks?view=…`), the phone files each item it rebuilds with the core's `views_of`.
//! On the demo, for every account and every view, the two name the same items.

use std::collections::BTreeSet;

use duban_core::domain::derived::view::{views_of, View, Viewer};
use duban_core::domain::{Actor, Roles, TaskState};
use duban_core::protocol::Person;
use duban_server::demo::{accounts, DEMO_PASSWORD};
use duban_server::seed::seed_demo;
use serde_json::{json, Value};

use crate::support::*;

async fn sign_in(s: &Server, username: &str) -> String {
    let r = s
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": DEMO_PASSWORD})),
        )
        .await
        .expect(200);
    r["token"].as_str().expect("token").to_owned()
}

/// The ids the server lists under the view, following every page.
async fn listed(s: &Server, token: &str, view: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for page in 1.. {
        let r = s
            .get(
                token,
                &format!("/api/v1/tasks?view={view}&per_page=200&page={page}"),
            )
            .await
            .expect(200);
        let items = r["items"].as_array().expect("items");
        out.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        let total = r["total"].as_u64().expect("total");
        if items.is_empty() || out.len() as u64 >= total {
            assert_eq!(out.len() as u64, total, "{view}: every page read once");
            break;
        }
    }
    out
}

both!(
    the_phone_files_every_demo_item_under_the_views_the_server_lists_it_in,
    |s: Server| async move {
        seed_demo(&s.state).await.expect("seed");
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        // Every item's state as the server keeps it.
        let items: Vec<(String, TaskState)> = s
            .state
            .db
            .rows("SELECT id, state FROM tasks", vec![])
            .await
            .expect("tasks")
            .iter()
            .map(|r| {
                let state = serde_json::from_str(&r.text(1).expect("state")).expect("a state");
                (r.text(0).expect("id"), state)
            })
            .collect();
        assert!(items.len() >= 25, "{} items", items.len());
        // The people list as the administrator reads it: units, roles, units in charge.
        let admin = sign_in(&s, "admin").await;
        let people: Vec<Person> = s
            .get(&admin, "/api/v1/admin/users")
            .await
            .expect(200)
            .as_array()
            .expect("people")
            .iter()
            .map(|p: &Value| serde_json::from_value(p.clone()).expect("a person"))
            .collect();

        let mut seen: BTreeSet<View> = BTreeSet::new();
        let mut roles_checked = BTreeSet::new();
        // Every person of the demo: the printed accounts and everyone else with an account.
        for (username, _, _) in accounts() {
            assert!(people.iter().any(|p| p.username == username), "{username}");
        }
        for person in &people {
            let username = person.username.as_str();
            let actor = Actor {
                id: person.id,
                unit: person.unit,
                roles: Roles::of(&person.roles),
            };
            roles_checked.extend(person.roles.iter().copied());
            let viewer = Viewer {
                actor: &actor,
                in_charge: &person.in_charge,
                units: &org.tree,
            };
            let token = sign_in(&s, username).await;
            let filed: Vec<(&str, Vec<View>)> = items
                .iter()
                .map(|(id, state)| (id.as_str(), views_of(state, &viewer)))
                .collect();
            for (name, view) in View::NAMES {
                let server = listed(&s, &token, name).await;
                let phone: BTreeSet<String> = filed
                    .iter()
                    .filter(|(_, views)| views.contains(&view))
                    .map(|(id, _)| (*id).to_owned())
                    .collect();
                assert_eq!(
                    phone, server,
                    "{username}, view {name}: the phone's views_of (left) and the server's list (right) differ"
                );
                if !server.is_empty() {
                    seen.insert(view);
                }
            }
            // Every item a person may read is under "all"; no item is under a view without it.
            for (id, views) in &filed {
                assert!(
                    views.is_empty() || views[0] == View::All,
                    "{username}: {id} {views:?}"
                );
            }
        }
        // Not vacuous: every view lists something for someone, and every role was checked.
        let all: BTreeSet<View> = View::NAMES.iter().map(|(_, v)| *v).collect();
        assert_eq!(seen, all, "views that listed nothing for anyone");
        for role in [
            duban_core::domain::Role::MainLeader,
            duban_core::domain::Role::DeputyLeader,
            duban_core::domain::Role::Supervisor,
            duban_core::domain::Role::UnitHead,
            duban_core::domain::Role::Staff,
        ] {
            assert!(roles_checked.contains(&role), "{role:?}");
        }
    }
);
