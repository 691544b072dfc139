//! Likely duplicate work orders (重复工单): when the hotline office decides whether to
//! accept an order, the orders that came in within the policy's
//! [`duplicate_window_days`](crate::domain::order::HotlinePolicy::duplicate_window_days)
//! and look like the same matter are offered, and a person decides (an order is never
//! refused as a duplicate by the rule alone).
//!
//! Two orders are likely duplicates when, within the window of each other,
//!
//! - the caller's phone is the same once normalised ([`normalise_phone`]: digits only,
//!   without the country code `86`/`+86`/`0086`; at least [`MIN_PHONE_DIGITS`] digits), or
//! - the caller's address is similar (character-bigram Jaccard ≥ [`ADDRESS_THRESHOLD`])
//!   **and** the content is similar (≥ [`CONTENT_THRESHOLD`]).
//!
//! Similarity ([`similarity`]) is the Jaccard index of the two texts' sets of character
//! bigrams (adjacent pairs of letters, digits or CJK characters, lower-cased; spaces and
//! punctuation dropped). Bigrams suit Chinese, which has no spaces between words: 城关镇
//! 幸福路12号 and 幸福路12号城关镇 share most of their pairs. Pure: no I/O.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The least number of digits a normalised phone needs to be compared (shorter ones, e.g.
/// a mistyped or partial number, match nothing).
pub const MIN_PHONE_DIGITS: usize = 7;

/// Two addresses at least this similar ([`similarity`]) count as the same place.
pub const ADDRESS_THRESHOLD: f64 = 0.5;

/// Two contents at least this similar count as the same matter (with a similar address).
pub const CONTENT_THRESHOLD: f64 = 0.3;

/// What the rule compares of an order.
#[derive(Clone, Copy, Debug)]
pub struct OrderFacts<'a> {
    /// When the call came in.
    pub called_at: DateTime<Utc>,
    /// The caller's phone, as typed.
    pub phone: Option<&'a str>,
    /// The caller's address, as typed.
    pub address: Option<&'a str>,
    /// What the caller said.
    pub content: &'a str,
}

/// Why an order is offered as a likely duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same caller phone.
    SamePhone,
    /// A similar address and similar content.
    SimilarAddressAndContent,
}

/// A phone number as compared: its digits, without a leading country code (`+86`, `0086`,
/// `86` before an 11-digit mobile number). `None` when fewer than [`MIN_PHONE_DIGITS`]
/// digits remain.
pub fn normalise_phone(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else {
        &digits
    };
    (national.len() >= MIN_PHONE_DIGITS).then(|| national.to_owned())
}

/// The set of character bigrams of a text: adjacent pairs of its letters and digits
/// (CJK characters included), lower-cased, with spaces and punctuation dropped. A text of
/// one such character is its own one "bigram".
fn bigrams(text: &str) -> BTreeSet<(char, char)> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match chars.as_slice() {
        [] => BTreeSet::new(),
        [only] => BTreeSet::from([(*only, *only)]),
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

/// How similar two texts are, from 0 (nothing in common, or either empty) to 1 (the same
/// pairs of characters): the Jaccard index of their character-bigram sets.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count();
    let all = a.union(&b).count();
    shared as f64 / all as f64
}

/// Whether `other` is a likely duplicate of `order`, and why: within `window_days` of each
/// other, the same phone ([`DuplicateReason::SamePhone`], checked first), or a similar
/// address and content ([`DuplicateReason::SimilarAddressAndContent`]).
pub fn likely_duplicate(
    order: &OrderFacts<'_>,
    other: &OrderFacts<'_>,
    window_days: u32,
) -> Option<DuplicateReason> {
    let apart = (order.called_at - other.called_at).abs();
    if apart > Duration::days(i64::from(window_days)) {
        return None;
    }
    let phone = |f: &OrderFacts<'_>| f.phone.and_then(normalise_phone);
    if let (Some(a), Some(b)) = (phone(order), phone(other)) {
        if a == b {
            return Some(DuplicateReason::SamePhone);
        }
    }
    let address = match (order.address, other.address) {
        (Some(a), Some(b)) => similarity(a, b),
        _ => 0.0,
    };
    (address >= ADDRESS_THRESHOLD && similarity(order.content, other.content) >= CONTENT_THRESHOLD)
        .then_some(DuplicateReason::SimilarAddressAndContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + day * 86_400, 0).expect("time")
    }

    fn facts<'a>(
        day: i64,
        phone: Option<&'a str>,
        address: Option<&'a str>,
        content: &'a str,
    ) -> OrderFacts<'a> {
        OrderFacts {
            called_at: at(day),
            phone,
            address,
            content,
        }
    }

    #[test]
    fn phones_are_compared_by_their_digits_without_the_country_code() {
        assert_eq!(
            normalise_phone("138 0013 8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalise_phone("+86 138-0013-8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalise_phone("0086 13800138000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalise_phone("8613800138000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(
            normalise_phone("0571-8888 6666").as_deref(),
            Some("057188886666")
        );
        assert_eq!(normalise_phone("12345"), None, "too short to compare");
        assert_eq!(normalise_phone("不详"), None);
    }

    #[test]
    fn similarity_is_the_jaccard_index_of_character_bigrams() {
        assert_eq!(similarity("幸福路12号", "幸福路12号"), 1.0);
        assert_eq!(similarity("幸福路", ""), 0.0);
        assert_eq!(similarity("幸福路", "解放街"), 0.0);
        // 幸福 福路 路1 12 2号 against 幸福 福路 路1 13 3号: 3 shared of 7.
        let s = similarity("幸福路12号", "幸福路13号");
        assert!((s - 3.0 / 7.0).abs() < 1e-9, "{s}");
        // Spaces, punctuation and case do not count.
        assert_eq!(similarity("Xingfu Road, No.12", "xingfu road no 12"), 1.0);
        // The same place written in another order keeps most of its pairs.
        assert!(similarity("城关镇幸福路12号", "幸福路12号城关镇") >= ADDRESS_THRESHOLD);
    }

    #[test]
    fn the_same_phone_within_the_window_is_a_likely_duplicate() {
        let a = facts(0, Some("13800138000"), None, "小区门口垃圾无人清运");
        let b = facts(10, Some("+86 138 0013 8000"), None, "询问社保卡补办");
        assert_eq!(
            likely_duplicate(&a, &b, 30),
            Some(DuplicateReason::SamePhone),
            "same caller, whatever the content"
        );
        assert_eq!(
            likely_duplicate(&b, &a, 30),
            Some(DuplicateReason::SamePhone)
        );
        // Outside the window: not offered.
        let late = facts(31, Some("13800138000"), None, "小区门口垃圾无人清运");
        assert_eq!(likely_duplicate(&a, &late, 30), None);
        assert_eq!(
            likely_duplicate(&a, &facts(30, Some("13800138000"), None, ""), 30),
            Some(DuplicateReason::SamePhone),
            "the window's last day counts"
        );
    }

    #[test]
    fn a_similar_address_and_content_is_a_likely_duplicate() {
        let a = facts(
            0,
            Some("13800138000"),
            Some("城关镇幸福路12号"),
            "幸福路12号楼下餐馆油烟扰民,夜间噪音大",
        );
        let b = facts(
            3,
            Some("13900139000"),
            Some("城关镇幸福路12号楼"),
            "幸福路12号餐馆油烟很大,晚上噪音扰民",
        );
        assert_eq!(
            likely_duplicate(&a, &b, 30),
            Some(DuplicateReason::SimilarAddressAndContent)
        );
        // The same address about another matter is not.
        let other_matter = facts(3, None, Some("城关镇幸福路12号"), "咨询公积金提取办理流程");
        assert_eq!(likely_duplicate(&a, &other_matter, 30), None);
        // The same matter told from another place is not either.
        let elsewhere = facts(
            3,
            None,
            Some("南城街道解放街8号"),
            "幸福路12号楼下餐馆油烟扰民,夜间噪音大",
        );
        assert_eq!(likely_duplicate(&a, &elsewhere, 30), None);
        // Without an address, only the phone can match.
        let no_address = facts(3, None, None, "幸福路12号楼下餐馆油烟扰民,夜间噪音大");
        assert_eq!(likely_duplicate(&a, &no_address, 30), None);
    }
}
