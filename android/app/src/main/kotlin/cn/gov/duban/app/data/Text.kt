// The core speaks both languages (zh-CN and English) in every record and error; the app
// shows the one of the person's locale, Chinese unless it is English.
package cn.gov.duban.app.data

import java.util.Locale
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.ReportKind
import uniffi.duban_ffi.ReportStatus
import uniffi.duban_ffi.Urgency
import uniffi.duban_ffi.reportKindName
import uniffi.duban_ffi.reportStatusName
import uniffi.duban_ffi.urgencyName
import uniffi.duban_ffi.visibilityName

/** True when the app runs in English; Chinese otherwise. */
fun english(): Boolean = Locale.getDefault().language == "en"

/** The text of the locale: [zh] unless the app runs in English. */
fun pick(zh: String, en: String): String = if (english()) en else zh

/** The urgency's name in the app's language, as the core gives it. */
fun Urgency.label(): String = urgencyName(this, english())

/** The report kind's name in the app's language, as the core gives it. */
fun ReportKind.label(): String = reportKindName(this, english())

/** The report status's name in the app's language, as the core gives it. */
fun ReportStatus.label(): String = reportStatusName(this, english())

/** The visibility's name in the app's language, as the core gives it: public or internal. */
fun visibilityLabel(isPublic: Boolean): String = visibilityName(isPublic, english())

/** The error's stable code. */
val DubanException.errorCode: String
    get() = when (this) {
        is DubanException.SignedOut -> code
        is DubanException.Offline -> code
        is DubanException.Rejected -> code
        is DubanException.Invalid -> code
        is DubanException.Internal -> code
    }

/** The error in Chinese. */
val DubanException.zhText: String
    get() = when (this) {
        is DubanException.SignedOut -> zh
        is DubanException.Offline -> zh
        is DubanException.Rejected -> zh
        is DubanException.Invalid -> zh
        is DubanException.Internal -> zh
    }

/** The error in English. */
val DubanException.enText: String
    get() = when (this) {
        is DubanException.SignedOut -> en
        is DubanException.Offline -> en
        is DubanException.Rejected -> en
        is DubanException.Invalid -> en
        is DubanException.Internal -> en
    }

/** The error in the app's language. */
fun DubanException.localized(): String = pick(zhText, enText)
