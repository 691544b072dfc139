//! Titles and names hold no NUL, other control character or text-direction control: a title
//! that reads differently on screen from what it says is refused by `decide` with
//! `input.control_char`, on the phone and on the server alike.

use duban_core::domain::command::DraftPatch;
use duban_core::domain::Command;

use super::support::*;

#[test]
fn a_title_with_a_control_or_direction_character_is_refused_at_registration() {
    for bad in [
        "修复县道\u{0}路面",
        "修复县道路面\u{202E}tnegru",
        "\u{2066}修复县道路面\u{2069}",
        "修复\u{200F}县道路面",
        "修复县道路面\n第二行",
        "修复\u{85}县道路面",
    ] {
        let mut w = World::new();
        let mut reg = registration("other", 1);
        reg.title = bad.into();
        let r = w.refused(SUPERVISOR, register(reg), "input.control_char");
        assert!(r.zh.contains("U+") && r.en.contains("U+"), "{r}");
        assert!(
            !r.en.contains("修复"),
            "the refusal carries no item text: {r}"
        );
    }
    // Content is several lines: tabs and line breaks are kept, a NUL or an override is not.
    let mut w = World::new();
    let mut reg = registration("other", 1);
    reg.content = "第一段\r\n\t第二段\n".into();
    w.ok(SUPERVISOR, register(reg));
    let mut w = World::new();
    let mut reg = registration("other", 1);
    reg.content = "第一段\u{202E}".into();
    w.refused(SUPERVISOR, register(reg), "input.control_char");
}

#[test]
fn an_amended_title_with_a_control_or_direction_character_is_refused() {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("other", 1)));
    let before = w.state.title.clone();
    for bad in ["新标题\u{202D}", "新\u{1B}[31m标题", "新\t标题"] {
        w.refused(
            SUPERVISOR,
            Command::AmendDraft(Box::new(DraftPatch {
                title: Some(bad.into()),
                ..Default::default()
            })),
            "input.control_char",
        );
    }
    assert_eq!(w.state.title, before);
    w.ok(
        SUPERVISOR,
        Command::AmendDraft(Box::new(DraftPatch {
            title: Some("推进老旧小区改造(第二批)".into()),
            ..Default::default()
        })),
    );
}
