//! Which characters a person's text may hold. No NUL or other control character (C0, DEL,
//! C1), and no invisible text-direction control (U+202A–U+202E, U+2066–U+2069, and the marks
//! U+200E, U+200F, U+061C) that makes a title or a name read differently on screen from what
//! it says ("Trojan Source", CVE-2021-42574). A text of one line — a title, a name — refuses
//! line and paragraph breaks and tabs too; a longer text (content, a report, a reason) keeps
//! tab, line feed and carriage return.
//!
//! The rule is pure and shared: the phone checks it before queueing a command, the server's
//! `decide` again, and the server's other names (units, people, categories, bulletins) by the
//! same function, with the same code `input.control_char`.

use super::rejection::Rejection;

/// The stable code of the refusal.
pub const CODE: &str = "input.control_char";

/// Whether `c` changes the direction text is shown in without being seen.
fn direction_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// The first character of `text` that is not allowed in it: a control or direction character,
/// or, when `one_line`, a tab or a line or paragraph break.
pub fn refused_char(text: &str, one_line: bool) -> Option<char> {
    text.chars().find(|&c| {
        direction_control(c)
            || if one_line {
                c.is_control() || c == '\u{2028}' || c == '\u{2029}'
            } else {
                c.is_control() && !matches!(c, '\t' | '\n' | '\r')
            }
    })
}

/// Refuses `text` (named `what_zh` / `what_en`, e.g. 标题 / the title) if it holds a character
/// [`refused_char`] finds, naming the character by its code point (never the text).
pub fn check(text: &str, one_line: bool, what_zh: &str, what_en: &str) -> Result<(), Rejection> {
    match refused_char(text, one_line) {
        None => Ok(()),
        Some(c) => {
            let point = format!("U+{:04X}", u32::from(c));
            Err(Rejection::invalid(
                CODE,
                format!("{what_zh}含有不允许的字符 {point}(控制字符、换行或文字方向控制符),请删除后重试"),
                format!(
                    "{what_en} contains a character that is not allowed, {point} (a control character, a line break or a text-direction control): remove it"
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_and_controls_are_found() {
        assert_eq!(refused_char("修复县道路面 Road 12号", true), None);
        assert_eq!(refused_char("第一段\n第二段\t表格\r\n", false), None);
        assert_eq!(refused_char("a\u{0}b", false), Some('\u{0}'));
        assert_eq!(refused_char("a\u{202E}b", false), Some('\u{202E}'));
        assert_eq!(refused_char("a\u{2067}b", true), Some('\u{2067}'));
        assert_eq!(refused_char("a\u{200F}b", true), Some('\u{200F}'));
        assert_eq!(refused_char("a\u{85}b", false), Some('\u{85}'));
        assert_eq!(refused_char("a\u{7F}b", false), Some('\u{7F}'));
        assert_eq!(refused_char("a\nb", true), Some('\n'));
        assert_eq!(refused_char("a\u{2028}b", true), Some('\u{2028}'));
        let e = check("x\u{202E}y", true, "标题", "the title").unwrap_err();
        assert_eq!(e.code, CODE);
        assert!(e.en.contains("U+202E") && e.zh.contains("U+202E"), "{e}");
    }
}
