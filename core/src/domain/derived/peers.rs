//! Peer groups (issue 20): units are ranked among their peers — bureaus with bureaus, towns
//! with towns, and sub-units (股, 中心) within their parent — never all together.

use serde::{Deserialize, Serialize};

use super::score::{rank, Ranked, UnitScore};
use crate::domain::{UnitId, UnitTree};

/// The group a unit is ranked in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum PeerGroup {
    /// The default group of the root's direct children (and of the root itself).
    Default,
    /// A group named on the unit (its `peer_group`, e.g. 县直部门, 乡镇).
    Named(String),
    /// The sub-units of one unit (the parent's id).
    SubUnitsOf(UnitId),
}

/// The peer group of `unit`: its own `peer_group` when set (trimmed, not empty); else, for a
/// unit whose parent is not the root, the sub-units of that parent; else the default group
/// of the root's direct children. So with `peer_group` 县直部门 on 县住房和城乡建设局 and
/// nothing on its 房地产市场监管股, the bureau ranks among the 县直部门 and the 股 among
/// the sub-units of the bureau.
pub fn peer_group_of(tree: &UnitTree, unit: UnitId, peer_group: &str) -> PeerGroup {
    let named = peer_group.trim();
    if !named.is_empty() {
        return PeerGroup::Named(named.to_owned());
    }
    match tree.parent(unit) {
        Some(parent) if tree.parent(parent).is_some() => PeerGroup::SubUnitsOf(parent),
        _ => PeerGroup::Default,
    }
}

/// One peer group's ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRanking {
    /// The group.
    pub group: PeerGroup,
    /// Its units, best first; places counted within the group ([`rank`]).
    pub ranked: Vec<Ranked>,
}

/// Ranks `scores` within their peer groups: each group ranked on its own (1, 2, 2, 4 within
/// the group). Groups come in the order of their first unit in `scores`, the groups of
/// sub-units after the others.
pub fn rank_by_group(
    scores: &[UnitScore],
    group_of: impl Fn(UnitId) -> PeerGroup,
) -> Vec<GroupRanking> {
    let mut groups: Vec<(PeerGroup, Vec<UnitScore>)> = Vec::new();
    for s in scores {
        let g = group_of(s.unit);
        match groups.iter_mut().find(|(k, _)| *k == g) {
            Some((_, members)) => members.push(s.clone()),
            None => groups.push((g, vec![s.clone()])),
        }
    }
    // A stable sort keeps first-seen order within each kind.
    groups.sort_by_key(|(g, _)| matches!(g, PeerGroup::SubUnitsOf(_)));
    groups
        .into_iter()
        .map(|(group, members)| GroupRanking {
            group,
            ranked: rank(&members),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::Points;

    fn id(n: u128) -> UnitId {
        UnitId::from_u128(n)
    }

    fn tree() -> UnitTree {
        let mut t = UnitTree::default();
        t.insert(id(1), None); // 县政府
        t.insert(id(2), Some(id(1))); // 住建局
        t.insert(id(3), Some(id(1))); // 交通局
        t.insert(id(4), Some(id(1))); // 城关镇
        t.insert(id(5), Some(id(2))); // 房地产股, under 住建局
        t.insert(id(6), Some(id(2))); // another 股 under 住建局
        t.insert(id(7), Some(id(3))); // a 中心 under 交通局
        t.insert(id(8), Some(id(1))); // 县政府办, no group
        t
    }

    #[test]
    fn a_units_group_is_its_own_else_its_parents_sub_units_else_the_default() {
        let t = tree();
        assert_eq!(
            peer_group_of(&t, id(2), " 县直部门 "),
            PeerGroup::Named("县直部门".into())
        );
        assert_eq!(peer_group_of(&t, id(5), ""), PeerGroup::SubUnitsOf(id(2)));
        assert_eq!(peer_group_of(&t, id(7), "  "), PeerGroup::SubUnitsOf(id(3)));
        assert_eq!(peer_group_of(&t, id(8), ""), PeerGroup::Default);
        assert_eq!(peer_group_of(&t, id(1), ""), PeerGroup::Default);
        // A sub-unit given a group of its own leaves its parent's.
        assert_eq!(
            peer_group_of(&t, id(5), "县直部门"),
            PeerGroup::Named("县直部门".into())
        );
    }

    #[test]
    fn ranks_count_within_each_group() {
        let t = tree();
        let named = |u: UnitId| match u {
            u if u == id(2) || u == id(3) => "县直部门",
            u if u == id(4) => "乡镇",
            _ => "",
        };
        let score = |u: u128, p: i64| UnitScore {
            unit: id(u),
            score: Points(p as i32 * 10),
            items: Vec::new(),
        };
        // The 股 scores best of all and the town worst; each still ranks only among peers.
        let scores = vec![
            score(2, 95),
            score(3, 98),
            score(4, 80),
            score(5, 101),
            score(6, 90),
            score(7, 99),
            score(8, 97),
        ];
        let groups = rank_by_group(&scores, |u| peer_group_of(&t, u, named(u)));
        let got: Vec<(PeerGroup, Vec<(u32, UnitId)>)> = groups
            .into_iter()
            .map(|g| (g.group, g.ranked.iter().map(|r| (r.rank, r.unit)).collect()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    PeerGroup::Named("县直部门".into()),
                    vec![(1, id(3)), (2, id(2))]
                ),
                (PeerGroup::Named("乡镇".into()), vec![(1, id(4))]),
                (PeerGroup::Default, vec![(1, id(8))]),
                (PeerGroup::SubUnitsOf(id(2)), vec![(1, id(5)), (2, id(6))]),
                (PeerGroup::SubUnitsOf(id(3)), vec![(1, id(7))]),
            ]
        );
    }
}
