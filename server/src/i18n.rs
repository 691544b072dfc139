//! The interface's language, one at a time: zh-CN, and English as a complete second locale.
//!
//! Every sentence the server shows or sends — pages, notifications, push and SMS texts, the
//! xlsx exports' headers, bulletins — is a message of a Project Fluent catalog, one per
//! locale, under `server/locales/<locale>/*.ftl`, compiled into the binary
//! (`fluent-templates`). A test (`i18n::tests`) checks that both locales have every key.
//!
//! Which language a request gets ([`resolve`]): the signed-in person's choice (`users.locale`,
//! remembered), else the `duban_lang` cookie (a choice made before signing in), else the
//! browser's `Accept-Language`, else zh-CN. The layer [`scope`] sets it for the request, and
//! [`current`] reads it anywhere below (the pages' `Chrome`, error pages, notices).
//!
//! The domain's own names and refusals (`duban_core::domain::Code`, `Rejection`) carry both
//! languages as data for every client; [`Lang::pick`] and [`Lang::name`] choose one.
//! Names of units and people are data, shown as entered.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::LazyLock;

use duban_core::domain::Code;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::Loader;
use unic_langid::LanguageIdentifier;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // No Unicode isolation marks around arguments: the texts go to SMS and xlsx cells too.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The name of the cookie that keeps the language chosen before signing in.
pub const COOKIE: &str = "duban_lang";

/// An interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

static ZH_ID: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "zh-CN".parse().expect("zh-CN is a language identifier"));
static EN_ID: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "en".parse().expect("en is a language identifier"));

impl Lang {
    /// Every language, the default first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag, as stored in `users.locale`, sent in `lang=` and put on `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language of a tag (`zh`, `zh-CN`, `zh-Hans-CN`, `en`, `en-GB`, any case); none for
    /// any other.
    pub fn from_code(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours (RFC 9110 §12.5.4): the
    /// highest quality, the earlier on a tie; `*` means the default; none when it names
    /// nothing we speak.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(32) {
            let mut fields = part.split(';');
            let tag = fields.next().unwrap_or("").trim();
            let q = fields
                .find_map(|f| f.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            let lang = if tag == "*" {
                Some(Lang::Zh)
            } else {
                Lang::from_code(tag)
            };
            if let Some(lang) = lang {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH_ID,
            Lang::En => &EN_ID,
        }
    }

    /// The message `key` in this language. A key missing from the catalog (a defect the
    /// catalog test catches) shows as the key itself, never as the other language.
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| missing(key))
    }

    /// The message `key` with its arguments. A value that reads as a number is passed as one,
    /// so that plural and number selectors work.
    pub fn t_args(self, key: &str, args: &[(&str, &dyn Display)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(k, v)| {
                let s = v.to_string();
                (
                    Cow::Owned((*k).to_owned()),
                    FluentValue::try_number(&s).into_owned(),
                )
            })
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &map)
            .unwrap_or_else(|| missing(key))
    }

    /// One of a pair the domain carries in both languages (a refusal's sentence, a name).
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A domain value's name in this language (a status, an urgency, a role…).
    pub fn name<C: Code>(self, value: C) -> &'static str {
        self.pick(value.zh(), value.en())
    }
}

fn missing(key: &str) -> String {
    tracing::error!(key, "a message is missing from the catalog");
    key.to_owned()
}

tokio::task_local! {
    static CURRENT: Lang;
}

/// The language of the request being answered (zh-CN outside one).
pub fn current() -> Lang {
    CURRENT.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` with `lang` as the [`current`] language.
pub async fn with<F: Future>(lang: Lang, f: F) -> F::Output {
    CURRENT.scope(lang, f).await
}

/// The message `key` in the [`current`] language.
pub fn t(key: &str) -> String {
    current().t(key)
}

/// The message `key` with arguments in the [`current`] language.
pub fn t_args(key: &str, args: &[(&str, &dyn Display)]) -> String {
    current().t_args(key, args)
}

/// The language of a request: the person's stored choice, else the cookie's, else the
/// browser's `Accept-Language`, else zh-CN.
pub fn resolve(stored: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
    stored
        .and_then(Lang::from_code)
        .or_else(|| cookie.and_then(Lang::from_code))
        .or_else(|| accept.and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every message id and attribute (`id.attr`) of one locale's files.
    fn keys(locale: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(locale);
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("the locale's directory") {
            let path = entry.expect("a file").path();
            if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let resource = fluent_syntax::parser::parse(text.as_str()).unwrap_or_else(|(_, e)| {
                panic!("{} does not parse: {e:?}", path.display());
            });
            for entry in resource.body {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    let id = m.id.name.to_owned();
                    assert!(out.insert(id.clone()), "{id} is defined twice in {locale}");
                    for a in m.attributes {
                        out.insert(format!("{id}.{}", a.id.name));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn both_locales_have_every_key() {
        let zh = keys("zh-CN");
        let en = keys("en");
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        assert!(zh.len() > 10, "the catalogs are read");
    }

    #[test]
    fn a_message_is_in_one_language() {
        assert_eq!(Lang::Zh.t("lang-name"), "简体中文");
        assert_eq!(Lang::En.t("lang-name"), "English");
        assert_eq!(Lang::En.t("no-such-key-anywhere"), "no-such-key-anywhere");
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en;q=0.5, zh-CN;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(Lang::from_accept_language("zh-Hans-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
        assert_eq!(Lang::from_accept_language("*"), Some(Lang::Zh));
        assert_eq!(resolve(None, None, Some("en")), Lang::En);
        assert_eq!(resolve(Some("zh-CN"), Some("en"), Some("en")), Lang::Zh);
        assert_eq!(resolve(None, Some("en"), Some("zh")), Lang::En);
        assert_eq!(resolve(Some("xx"), None, None), Lang::Zh);
    }
}
