//! Keyword search over the items (R8.2): what the item list's `q` looks in.
//!
//! An item is found by its number, its title, its content and its lead unit's name, and by
//! the pinyin of its title, both the initials (`dljb` finds 道路结冰) and the whole syllables
//! (`daolu`). The projection writes the item's searchable text into `tasks.search` (number,
//! title, initials, pinyin) and `tasks.search_content` (content) with its row, lower-cased
//! ([`item_text`], [`content_text`]); a keyword is lower-cased the same way ([`needle`]) and
//! looked for as a substring. Units are matched by name (or its pinyin) here, in Rust, into
//! lead-unit ids ([`units_named`]). Rows written before the columns existed are filled in
//! at start-up ([`backfill`]). The pinyin comes from the `pinyin` crate's tables.

use duban_core::domain::{EventKind, UnitId};
use pinyin::ToPinyin;

use crate::db::{tasks, Db, DbError};
use crate::org::Org;

/// The pinyin of `text`: its initials and its whole syllables, each run together
/// (`道路结冰` → `("dljb", "daolujiebing")`); characters without a reading are kept as they
/// are, lower-cased, and whitespace is dropped.
pub fn pinyin_of(text: &str) -> (String, String) {
    let mut initials = String::new();
    let mut full = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            continue;
        }
        match c.to_pinyin() {
            Some(p) => {
                initials.push_str(p.first_letter());
                full.push_str(p.plain());
            }
            None => {
                initials.extend(c.to_lowercase());
                full.extend(c.to_lowercase());
            }
        }
    }
    (initials, full)
}

/// The text of `tasks.search`: number, title, the title's pinyin initials and syllables,
/// one per line, lower-cased.
pub fn item_text(number: &str, title: &str) -> String {
    let (initials, full) = pinyin_of(title);
    format!(
        "{}\n{}\n{}\n{}",
        number.to_lowercase(),
        title.to_lowercase(),
        initials,
        full
    )
}

/// The text of `tasks.search_content`: the content, lower-cased.
pub fn content_text(content: &str) -> String {
    content.to_lowercase()
}

/// A keyword as it is looked for: trimmed and lower-cased.
pub fn needle(q: &str) -> String {
    q.trim().to_lowercase()
}

/// The units whose name (or its pinyin initials or syllables) holds the keyword.
pub fn units_named(org: &Org, q: &str) -> Vec<UnitId> {
    let q = needle(q);
    if q.is_empty() {
        return Vec::new();
    }
    org.units
        .iter()
        .filter(|u| {
            let (initials, full) = pinyin_of(&u.name);
            u.name.to_lowercase().contains(&q) || initials.contains(&q) || full.contains(&q)
        })
        .map(|u| u.id)
        .collect()
}

/// The content an item's events leave it with, if they set one (the last registration or
/// draft amendment that names it).
pub fn content_of<'a>(events: impl IntoIterator<Item = &'a EventKind>) -> Option<&'a str> {
    let mut content = None;
    for e in events {
        match e {
            EventKind::Registered(r) => content = Some(r.content.as_str()),
            EventKind::DraftAmended(p) => {
                if let Some(c) = &p.content {
                    content = Some(c.as_str());
                }
            }
            _ => {}
        }
    }
    content
}

/// Fills in the searchable text of the items written before it was kept (their `search`
/// is empty), from their states and trails; returns how many.
pub async fn backfill(db: &Db) -> Result<usize, DbError> {
    let mut done = 0;
    loop {
        let ids = tasks::unindexed(db, 200).await?;
        if ids.is_empty() {
            return Ok(done);
        }
        let mut tx = db.write().await?;
        for id in &ids {
            let Some(state) = tasks::state(&mut tx, *id).await? else {
                continue;
            };
            let trail = tasks::trail(&mut tx, *id).await?;
            let content = content_of(trail.iter().map(|t| &t.event.kind)).unwrap_or_default();
            let number = state
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            // Never empty (its lines are separated), so the item is not picked again.
            let text = item_text(&number, &state.title);
            tasks::set_search(&mut tx, *id, &text, &content_text(content)).await?;
        }
        tx.commit().await?;
        done += ids.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_syllables() {
        let (i, f) = pinyin_of("道路结冰 A1");
        assert_eq!(i, "dljba1");
        assert_eq!(f, "daolujiebinga1");
        let t = item_text("DB-2026-001", "道路结冰");
        assert!(t.contains("dljb") && t.contains("daolujiebing") && t.contains("db-2026-001"));
        assert_eq!(needle("  DLJB "), "dljb");
    }
}
