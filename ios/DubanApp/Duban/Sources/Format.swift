// Display helpers: which language the app runs in, times, countdowns and failures.
// The text of the core's records comes in both languages; the app's own text is in
// Localizable.strings (zh-Hans first, English).

import DubanCore
import SwiftUI

/// The language the app shows: Chinese (the development language) unless iOS chose English.
enum Lang {
    static let isChinese: Bool = Bundle.main.preferredLocalizations.first.map { $0.hasPrefix("zh") } ?? true

    /// One of the core's two sentences.
    static func pick(_ zh: String, _ en: String) -> String {
        isChinese || en.isEmpty ? zh : en
    }

    /// An optional pair.
    static func pick(_ zh: String?, _ en: String?) -> String? {
        guard let zh else { return en }
        return pick(zh, en ?? "")
    }
}

extension Urgency {
    /// The urgency's name in the app's language, from the core.
    var name: String { urgencyName(urgency: self, english: !Lang.isChinese) }
}

extension Light {
    /// The light's name in the app's language, from the core.
    var name: String { lightName(light: self, english: !Lang.isChinese) }
}

extension ReportKind {
    /// The report kind's name in the app's language, from the core.
    var name: String { reportKindName(kind: self, english: !Lang.isChinese) }
}

extension ReportStatus {
    /// The report status's name in the app's language, from the core.
    var name: String { reportStatusName(status: self, english: !Lang.isChinese) }
}

extension Int64 {
    /// Milliseconds since the epoch as a date.
    var date: Date { Date(timeIntervalSince1970: TimeInterval(self) / 1000) }
}

/// A time as lists show it: the time of day today, else date and time.
func shortTime(_ ms: Int64) -> String {
    let date = ms.date
    if Calendar.current.isDateInToday(date) {
        return date.formatted(date: .omitted, time: .shortened)
    }
    return date.formatted(date: .numeric, time: .shortened)
}

/// A date and time in full.
func dateTime(_ ms: Int64) -> String {
    ms.date.formatted(date: .numeric, time: .shortened)
}

/// A deadline as a calendar countdown for lists: "剩 3 天", "剩 5 小时", "超期 2 天".
func countdown(deadlineMs: Int64, now: Date) -> Text {
    let seconds = Int(deadlineMs.date.timeIntervalSince(now))
    let span = abs(seconds)
    let days = span / 86_400
    let hours = span / 3_600
    let minutes = max(1, span / 60)
    if seconds >= 0 {
        if days > 0 { return Text("剩 \(days) 天") }
        if hours > 0 { return Text("剩 \(hours) 小时") }
        return Text("剩 \(minutes) 分钟")
    }
    if days > 0 { return Text("超期 \(days) 天") }
    if hours > 0 { return Text("超期 \(hours) 小时") }
    return Text("超期 \(minutes) 分钟")
}

/// Whether a deadline has passed.
func isOverdue(_ deadlineMs: Int64?, now: Date = Date()) -> Bool {
    guard let deadlineMs else { return false }
    return deadlineMs.date < now
}

/// The core's countdown in working days (whole days, away from zero; negative when overdue).
func workingCountdown(_ days: Int32) -> Text {
    let d = Int(days)
    if d > 0 { return Text("剩 \(d) 个工作日") }
    if d < 0 { return Text("超期 \(-d) 个工作日") }
    return Text("今日到期")
}

/// A failure as a screen shows it: the core's sentence (zh-CN, with the English under it
/// when the app runs in English), or a generic line for anything else.
struct Failure: Equatable {
    let text: String
    let detail: String?

    init(_ error: Error) {
        if let error = error as? DubanError {
            text = error.zh
            detail = Lang.isChinese ? nil : error.en
        } else {
            text = String(localized: "操作失败")
            detail = error.localizedDescription
        }
    }

    init(text: String) {
        self.text = text
        detail = nil
    }
}
