//! Figures derived from an item's events, the calendar and the policy, never stored by
//! hand: scheduled progress, lights and cards, scores, rankings and the completion rate;
//! the anomalies monitoring watches for.

pub mod anomaly;
pub mod describe;
pub mod duplicate;
pub mod duty;
pub mod evidence;
pub mod hotline;
pub mod peers;
pub mod periodic;
pub mod schedule;
pub mod score;
pub mod signal;
pub mod view;

pub use hotline::{hotline_figures, HotlineFigures, OrderFigures};
pub use peers::{peer_group_of, rank_by_group, GroupRanking, PeerGroup};
pub use schedule::{days_late, own_progress, rolled_up_progress, scheduled_progress};
pub use score::{
    completion_rate, counts_in, item_score, rank, unit_scores, CompletionRate, DateRange,
    ItemScore, Ranked, ScoreLine, UnitScore,
};
pub use signal::{light_names, quality_card, timeliness_light, Colour, Signal, NO_LIGHT};
