//! Seeding the demo (`duban serve --demo`, `duban demo`): the organisation of [`crate::demo`]
//! written through the same functions as the admin API, and its scenario applied command by
//! command through the authority, at each step's own time, so the trails are real trails.

use std::net::SocketAddr;

use chrono::Utc;
use duban_core::domain::{Code, UnitId};
use duban_core::protocol::CommandEnvelope;

use crate::auth::hash_password;
use crate::authority::{self, Outcome};
use crate::demo::{accounts_by_role, organisation, scenario, DEMO_PASSWORD};
use crate::error::ApiError;
use crate::org::{write_person, write_unit, PersonInput, UnitInput};
use crate::AppState;

/// What seeding did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seeded {
    /// The demo was written: this many commands applied.
    Fresh(usize),
    /// The database already had accounts; nothing was written.
    AlreadyThere,
}

/// Seeds the demo into an empty database.
pub async fn seed_demo(state: &AppState) -> Result<Seeded, ApiError> {
    // Every account is in the organisation as loaded (each change to people bumps it).
    if !state.org.latest(&state.db).await?.people.is_empty() {
        return Ok(Seeded::AlreadyThere);
    }
    let demo = organisation();
    let now = Utc::now();
    let at = now.timestamp_millis();
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD))
        .await
        .map_err(ApiError::internal)??;
    for u in &demo.units {
        let org = state.org.latest(&state.db).await?;
        let mut tx = state.db.write().await?;
        let input = UnitInput {
            id: Some(u.id),
            parent: u.parent,
            name: u.name.clone(),
            // Names are data: the demo's units have no second name.
            name_en: String::new(),
            sort: 0,
            short_name: u.short_name.clone(),
            aliases: u.aliases.clone(),
            retired: false,
            peer_group: u.peer_group.clone(),
        };
        write_unit(&mut tx, &org, &input, u.id, at).await?;
        tx.commit().await?;
    }
    let org = state.org.latest(&state.db).await?;
    let mut tx = state.db.write().await?;
    for p in &demo.people {
        let input = PersonInput {
            id: Some(p.id),
            username: p.username.clone(),
            name: p.name.clone(),
            unit: p.unit,
            position: p.position.clone(),
            roles: p.roles.clone(),
            in_charge: p.in_charge.clone(),
            phone: None,
            password: None,
            active: true,
        };
        // One argon2 hash (with its own salt) for the shared demo password.
        write_person(&mut tx, &org, &input, p.id, Some(hash.clone()), at).await?;
    }
    tx.commit().await?;

    let org = state.org.latest(&state.db).await?;
    let steps = scenario(now, &org.calendar, &org.policy);
    for (i, step) in steps.iter().enumerate() {
        let actor = org
            .actor(step.actor)
            .ok_or_else(|| ApiError::internal(format!("demo step {i}: unknown actor")))?;
        let env = CommandEnvelope {
            id: uuid::Uuid::from_u128(0xDE70_0000_0000 + i as u128),
            task: step.task,
            command: step.command.clone(),
        };
        match authority::apply(state, &org, &actor, &env, step.at).await? {
            Outcome::Accepted(_) => {}
            Outcome::Refused(r) => {
                return Err(ApiError::internal(format!(
                    "demo step {i} ({} on {}) refused: {}: {}",
                    step.command.kind().en(),
                    step.task,
                    r.code,
                    r.en
                )))
            }
        }
    }
    Ok(Seeded::Fresh(steps.len()))
}

/// The text printed at start: where to go and which accounts to use.
pub fn banner(seeded: Seeded, listen: SocketAddr) -> String {
    let mut out = String::new();
    match seeded {
        Seeded::Fresh(n) => out.push_str(&format!(
            "演示数据已创建({n} 条命令) / demo data created ({n} commands)\n"
        )),
        Seeded::AlreadyThere => out.push_str(
            "数据库中已有数据,未重复创建 / the database already has data; demo not re-created\n",
        ),
    }
    out.push_str(&format!(
        "\n清河县人民政府 督查督办演示 / Qinghe County supervision demo\n\
         API: http://{listen}/api/v1/   OpenAPI: http://{listen}/api/openapi.json\n\
         演示账号密码均为 / every demo account's password: {DEMO_PASSWORD}\n\n"
    ));
    let org = organisation();
    let unit = |id: Option<UnitId>| {
        id.and_then(|id| org.units.iter().find(|u| u.id == id))
            .map_or("", |u| u.name.as_str())
    };
    for (role, people) in accounts_by_role() {
        out.push_str(&format!("{} / {}:\n", role.zh(), role.en()));
        for p in people {
            out.push_str(&format!(
                "  {:<14} {} {} {}\n",
                p.username,
                p.name,
                p.position,
                unit(p.unit)
            ));
        }
    }
    out.push_str(&format!(
        "\n登录 / sign in:\n  curl -s -X POST http://{listen}/api/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"username\":\"supervisor\",\"password\":\"{DEMO_PASSWORD}\"}}'\n"
    ));
    out
}
