//! Which push service an Android phone registers with (R2.2): the channel of its maker where
//! the maker runs one, since in mainland China most phones have no Google services and only
//! the maker's system-level channel reaches an app that is not running.
//!
//! The shells read the phone (`Build.MANUFACTURER`, `Build.BRAND`, whether Google Play
//! services answer, whether the system is HarmonyOS) and the services their build is
//! configured for; this rule decides. HarmonyOS NEXT phones do not run the Android app: their
//! app registers `hms` on the platform `harmony` itself.

use crate::protocol::PushProvider;

/// What the shell knows of the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phone<'a> {
    /// `Build.MANUFACTURER`, e.g. `HUAWEI`, `Xiaomi`, `OPPO`, `vivo`, `HONOR`.
    pub manufacturer: &'a str,
    /// `Build.BRAND`, e.g. `Redmi`, `POCO`, `OnePlus`, `realme`, `iQOO`.
    pub brand: &'a str,
    /// Google Play services are available (FCM can deliver).
    pub google_services: bool,
    /// The system is HarmonyOS 2–4 (Android-compatible, with HMS Core).
    pub harmony_os: bool,
}

/// The maker's own channel for a manufacturer or brand name, if it runs one.
fn maker_channel(name: &str) -> Option<PushProvider> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "huawei" => PushProvider::Hms,
        "honor" => PushProvider::Honor,
        "xiaomi" | "redmi" | "poco" => PushProvider::Xiaomi,
        "oppo" | "oneplus" | "realme" => PushProvider::Oppo,
        "vivo" | "iqoo" => PushProvider::Vivo,
        _ => return None,
    })
}

/// The service this phone should register with, among those the build is `configured` for:
/// HMS on HarmonyOS and Huawei phones; the maker's channel on Honor (Honor Push), Xiaomi,
/// Redmi, POCO (Xiaomi Push), OPPO, OnePlus, realme (OPPO Push), vivo and iQOO (vivo Push);
/// otherwise, or when the build lacks the maker's channel, FCM where Google Play services
/// are available. None: no push (the inbox, the periodic sync and SMS still reach the
/// person).
pub fn provider_for(phone: &Phone<'_>, configured: &[PushProvider]) -> Option<PushProvider> {
    let maker = if phone.harmony_os {
        Some(PushProvider::Hms)
    } else {
        // The brand is the more specific (a Redmi is made by Xiaomi, an iQOO by vivo).
        maker_channel(phone.brand).or_else(|| maker_channel(phone.manufacturer))
    };
    let google = phone.google_services.then_some(PushProvider::Fcm);
    [maker, google]
        .into_iter()
        .flatten()
        .find(|p| configured.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PushProvider::*;

    const ALL: &[PushProvider] = &[Fcm, Hms, Xiaomi, Oppo, Vivo, Honor];

    fn phone(manufacturer: &'static str, brand: &'static str, google: bool) -> Phone<'static> {
        Phone {
            manufacturer,
            brand,
            google_services: google,
            harmony_os: false,
        }
    }

    #[test]
    fn each_maker_gets_its_own_channel() {
        for (manufacturer, brand, want) in [
            ("HUAWEI", "HUAWEI", Hms),
            ("HONOR", "HONOR", Honor),
            ("Xiaomi", "Xiaomi", Xiaomi),
            ("Xiaomi", "Redmi", Xiaomi),
            ("Xiaomi", "POCO", Xiaomi),
            ("OPPO", "OPPO", Oppo),
            ("OnePlus", "OnePlus", Oppo),
            ("realme", "realme", Oppo),
            ("vivo", "vivo", Vivo),
            ("vivo", "iQOO", Vivo),
        ] {
            for google in [false, true] {
                assert_eq!(
                    provider_for(&phone(manufacturer, brand, google), ALL),
                    Some(want),
                    "{manufacturer} {brand} google={google}"
                );
            }
        }
    }

    #[test]
    fn harmonyos_means_hms_whatever_the_brand() {
        let p = Phone {
            harmony_os: true,
            ..phone("HUAWEI", "HONOR", false)
        };
        assert_eq!(provider_for(&p, ALL), Some(Hms));
    }

    #[test]
    fn other_phones_use_fcm_where_google_services_run_else_nothing() {
        assert_eq!(
            provider_for(&phone("samsung", "samsung", true), ALL),
            Some(Fcm)
        );
        assert_eq!(
            provider_for(&phone("Google", "google", true), ALL),
            Some(Fcm)
        );
        assert_eq!(provider_for(&phone("samsung", "samsung", false), ALL), None);
        assert_eq!(provider_for(&phone("", "", false), ALL), None);
    }

    #[test]
    fn a_channel_the_build_lacks_falls_back_to_fcm_or_nothing() {
        let only_fcm = &[Fcm];
        assert_eq!(
            provider_for(&phone("Xiaomi", "Redmi", true), only_fcm),
            Some(Fcm)
        );
        assert_eq!(
            provider_for(&phone("Xiaomi", "Redmi", false), only_fcm),
            None
        );
        assert_eq!(
            provider_for(&phone("samsung", "samsung", true), &[Hms]),
            None
        );
        assert_eq!(provider_for(&phone("vivo", "iQOO", false), &[]), None);
    }
}
