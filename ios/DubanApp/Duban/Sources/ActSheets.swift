// The forms of the acts on an item: a reason (decline, suspension, resumption, a work order's
// return), an extension request and a work order's committed deadline (each a date and a
// whole hour, as the core takes them), a review, a rating, an instruction or comment, a
// decision with an opinion, and a decomposition into a sub-item for a unit below mine.
// Each submits one call to the core; a refusal stays in the form with the core's reason.

import DubanCore
import SwiftUI

/// A sheet of one act: the form, Cancel, and a submit button that runs `submit`, closes the
/// sheet when it succeeds and shows the failure when it does not.
@MainActor
struct ActForm<Content: View>: View {
    let title: LocalizedStringKey
    let submitLabel: LocalizedStringKey
    let canSubmit: Bool
    let submit: () async throws -> Void
    let content: Content
    @Environment(\.dismiss) var dismiss
    @State var busy = false
    @State var failure: Failure? = nil

    init(
        _ title: LocalizedStringKey,
        submitLabel: LocalizedStringKey = "提交",
        canSubmit: Bool = true,
        submit: @escaping () async throws -> Void,
        @ViewBuilder content: () -> Content
    ) {
        self.title = title
        self.submitLabel = submitLabel
        self.canSubmit = canSubmit
        self.submit = submit
        self.content = content()
    }

    var body: some View {
        NavigationStack {
            Form {
                content
                if let failure {
                    Section {
                        FailureText(failure: failure)
                    }
                }
            }
            .navigationTitle(title)
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button("取消") { dismiss() }
                        .disabled(busy)
                }
                ToolbarItem(placement: .confirmationAction) {
                    if busy {
                        ProgressView()
                    } else {
                        Button(submitLabel) {
                            Task { await run() }
                        }
                        .disabled(!canSubmit)
                    }
                }
            }
            .interactiveDismissDisabled(busy)
        }
    }

    private func run() async {
        busy = true
        defer { busy = false }
        do {
            try await submit()
            dismiss()
        } catch {
            failure = Failure(error)
        }
    }
}

/// A multi-line text field.
@MainActor
struct TextArea: View {
    let prompt: LocalizedStringKey
    @Binding var text: String

    var body: some View {
        TextField(prompt, text: $text, axis: .vertical)
            .lineLimit(3...10)
    }
}

private func filled(_ text: String) -> Bool {
    !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
}

/// An act that needs only a reason: decline (拒签), request suspension (暂停申请) or
/// resumption (恢复申请), return a work order (退单: the hotline office transfers it).
@MainActor
struct ReasonSheet: View {
    enum Kind {
        case decline, suspension, resumption, returnOrder
    }

    let task: String
    let kind: Kind
    @EnvironmentObject var store: DubanStore
    @State var reason = ""

    var body: some View {
        ActForm(title, canSubmit: filled(reason), submit: submit) {
            Section {
                TextArea(prompt: "请填写理由", text: $reason)
            } header: {
                Text("理由")
            }
        }
    }

    private var title: LocalizedStringKey {
        switch kind {
        case .decline: return "拒签"
        case .suspension: return "申请暂停"
        case .resumption: return "申请恢复"
        case .returnOrder: return "退单"
        }
    }

    private func submit() async throws {
        let task = self.task
        let reason = self.reason
        switch kind {
        case .decline:
            try await store.perform { try $0.decline(task: task, reason: reason) }
        case .suspension:
            try await store.perform { try $0.requestSuspension(task: task, reason: reason) }
        case .resumption:
            try await store.perform { try $0.requestResumption(task: task, reason: reason) }
        case .returnOrder:
            try await store.perform { try $0.returnOrder(task: task, reason: reason) }
        }
    }
}

/// A day and a whole hour of the phone's day, as the core takes a requested deadline (on the
/// hour: minutes and seconds zero).
struct DayHour {
    var day: Date
    var hour: Int

    /// A week after `deadlineMs` (or now, if later), at that hour.
    init(weekAfter deadlineMs: Int64?) {
        let base = max(deadlineMs?.date ?? Date(), Date()).addingTimeInterval(7 * 86_400)
        day = base
        hour = Calendar.current.component(.hour, from: base)
    }

    /// The chosen day at the chosen hour, in milliseconds since the epoch.
    var ms: Int64? {
        Calendar.current.date(bySettingHour: hour, minute: 0, second: 0, of: day)
            .map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }
}

/// The date and the whole hour of a `DayHour`.
@MainActor
struct DayHourFields: View {
    let dateLabel: LocalizedStringKey
    @Binding var value: DayHour

    var body: some View {
        DatePicker(dateLabel, selection: $value.day, in: Date()..., displayedComponents: [.date])
        Picker("整点", selection: $value.hour) {
            ForEach(0..<24, id: \.self) { h in
                Text(verbatim: String(format: "%02d:00", h)).tag(h)
            }
        }
    }
}

/// Asks for a later deadline (延时申请): a date and a whole hour, and why.
@MainActor
struct ExtensionSheet: View {
    let task: String
    @EnvironmentObject var store: DubanStore
    @State var until: DayHour
    @State var reason = ""

    init(task: String, deadlineMs: Int64?) {
        self.task = task
        _until = State(initialValue: DayHour(weekAfter: deadlineMs))
    }

    var body: some View {
        ActForm("申请延期", canSubmit: filled(reason) && until.ms != nil, submit: submit) {
            Section {
                DayHourFields(dateLabel: "延期至", value: $until)
            }
            Section {
                TextArea(prompt: "请说明延期理由", text: $reason)
            } header: {
                Text("理由")
            }
        }
    }

    private func submit() async throws {
        guard let untilMs = until.ms else { return }
        let task = self.task
        let reason = self.reason
        try await store.perform { try $0.requestExtension(task: task, untilMs: untilMs, reason: reason) }
    }
}

/// Asks for a committed deadline for a work order (申请承诺件): a date and a whole hour of the
/// phone's day (the core takes it on the hour), and why; the hotline office decides.
@MainActor
struct CommitmentSheet: View {
    let task: String
    @EnvironmentObject var store: DubanStore
    @State var until: DayHour
    @State var reason = ""

    init(task: String, deadlineMs: Int64?) {
        self.task = task
        _until = State(initialValue: DayHour(weekAfter: deadlineMs))
    }

    var body: some View {
        ActForm("申请承诺件", canSubmit: filled(reason) && until.ms != nil, submit: submit) {
            Section {
                DayHourFields(dateLabel: "承诺办结日期", value: $until)
            } footer: {
                Text("承诺期限精确到小时,须晚于现有办理期限。")
            }
            Section {
                TextArea(prompt: "请说明需要更长办理时间的理由", text: $reason)
            } header: {
                Text("理由")
            }
        }
    }

    private func submit() async throws {
        guard let untilMs = until.ms else { return }
        let task = self.task
        let reason = self.reason
        try await store.perform { try $0.requestCommitment(task: task, untilMs: untilMs, reason: reason) }
    }
}

/// Accepts a completion or returns it for rework (复核 / 退办), optionally with a new deadline.
@MainActor
struct ReviewSheet: View {
    let task: String
    @EnvironmentObject var store: DubanStore
    @State var accept = true
    @State var opinion = ""
    @State var newDeadline = false
    @State var deadline = Date().addingTimeInterval(7 * 86_400)

    var body: some View {
        ActForm("复核", submit: submit) {
            Section {
                Picker("结论", selection: $accept) {
                    Text("通过").tag(true)
                    Text("退回重办").tag(false)
                }
                .pickerStyle(.segmented)
            }
            Section {
                TextArea(prompt: "复核意见", text: $opinion)
            } header: {
                Text("意见")
            }
            if !accept {
                Section {
                    Toggle("重新设定期限", isOn: $newDeadline)
                    if newDeadline {
                        DatePicker("新期限", selection: $deadline, in: Date()..., displayedComponents: [.date, .hourAndMinute])
                    }
                }
            }
        }
    }

    private func submit() async throws {
        let task = self.task
        let accept = self.accept
        let opinion = self.opinion
        let deadlineMs: Int64? = !accept && newDeadline
            ? Int64((deadline.timeIntervalSince1970 * 1000).rounded())
            : nil
        try await store.perform {
            try $0.review(task: task, accept: accept, opinion: opinion, newDeadlineMs: deadlineMs)
        }
    }
}

/// A leader's rating, 1–5 stars (领导评价).
@MainActor
struct RateSheet: View {
    let task: String
    @EnvironmentObject var store: DubanStore
    @State var stars = 0
    @State var opinion = ""

    var body: some View {
        ActForm("评价", canSubmit: (1...5).contains(stars), submit: submit) {
            Section {
                HStack(spacing: 12) {
                    ForEach(1...5, id: \.self) { n in
                        Button {
                            stars = n
                        } label: {
                            Image(systemName: n <= stars ? "star.fill" : "star")
                                .font(.title2)
                                .foregroundColor(.yellow)
                        }
                        .buttonStyle(.borderless)
                        .accessibilityLabel(Text("\(n) 星"))
                    }
                }
                .frame(maxWidth: .infinity)
            } header: {
                Text("星级")
            }
            Section {
                TextArea(prompt: "评价意见(可不填)", text: $opinion)
            } header: {
                Text("意见")
            }
        }
    }

    private func submit() async throws {
        let task = self.task
        let stars = UInt8(self.stars)
        let opinion = self.opinion
        try await store.perform { try $0.rate(task: task, stars: stars, opinion: opinion) }
    }
}

/// An instruction (批示) or a comment (评论), possibly replying to one.
@MainActor
struct NoteSheet: View {
    enum Kind {
        case instruction
        case comment(replyTo: String?)
    }

    let task: String
    let kind: Kind
    @EnvironmentObject var store: DubanStore
    @State var text = ""

    var body: some View {
        ActForm(title, canSubmit: filled(text), submit: submit) {
            Section {
                TextArea(prompt: prompt, text: $text)
            }
        }
    }

    private var title: LocalizedStringKey {
        switch kind {
        case .instruction: return "批示"
        case .comment(let replyTo): return replyTo == nil ? "评论" : "回复"
        }
    }

    private var prompt: LocalizedStringKey {
        switch kind {
        case .instruction: return "批示内容"
        case .comment: return "评论内容"
        }
    }

    private func submit() async throws {
        let task = self.task
        let text = self.text
        switch kind {
        case .instruction:
            try await store.perform { try $0.instruct(task: task, text: text) }
        case .comment(let replyTo):
            try await store.perform { try $0.comment(task: task, text: text, replyTo: replyTo) }
        }
    }
}

/// What an approval decides.
enum Decision: Hashable {
    /// 延时审批.
    case extensionRequest
    /// 暂停审批.
    case suspension
    /// 恢复审批.
    case resumption
    /// 立项审批.
    case registration
    /// 汇报审批: the report's id.
    case report(String)
}

/// Approves or refuses, with an opinion.
@MainActor
struct DecisionSheet: View {
    let task: String
    let decision: Decision
    /// The report decided, when it is one (shown above the decision).
    var report: ReportRow? = nil
    @EnvironmentObject var store: DubanStore
    @State var approve = true
    @State var opinion = ""

    var body: some View {
        ActForm(title, submit: submit) {
            if let report {
                Section {
                    Text(report.text)
                    if let percent = report.percent {
                        LabeledContent("进度", value: "\(percent)%")
                    }
                    Text(verbatim: "\(report.byName) · \(dateTime(report.atMs))")
                        .font(.caption)
                        .foregroundColor(.secondary)
                } header: {
                    Text("汇报内容")
                }
            }
            Section {
                Picker("结论", selection: $approve) {
                    Text("同意").tag(true)
                    Text("不同意").tag(false)
                }
                .pickerStyle(.segmented)
            }
            Section {
                TextArea(prompt: "审批意见", text: $opinion)
            } header: {
                Text("意见")
            }
        }
    }

    private var title: LocalizedStringKey {
        switch decision {
        case .extensionRequest: return "审批延期申请"
        case .suspension: return "审批暂停申请"
        case .resumption: return "审批恢复申请"
        case .registration: return "审批立项"
        case .report: return "审批汇报"
        }
    }

    private func submit() async throws {
        let task = self.task
        let approve = self.approve
        let opinion = self.opinion
        switch decision {
        case .extensionRequest:
            try await store.perform { try $0.decideExtension(task: task, approve: approve, opinion: opinion) }
        case .suspension:
            try await store.perform { try $0.decideSuspension(task: task, approve: approve, opinion: opinion) }
        case .resumption:
            try await store.perform { try $0.decideResumption(task: task, approve: approve, opinion: opinion) }
        case .registration:
            try await store.perform { try $0.decideRegistration(task: task, approve: approve, opinion: opinion) }
        case .report(let report):
            try await store.perform {
                try $0.decideReport(task: task, report: report, approve: approve, opinion: opinion)
            }
        }
    }
}

/// Decomposes the item (分解): a sub-item for a unit below mine, with its title, content and
/// an optional deadline. The server registers and dispatches it.
@MainActor
struct DecomposeSheet: View {
    /// A unit to choose, with the units between mine and it.
    struct UnitChoice: Identifiable {
        let id: String
        let label: String
    }

    let task: String
    /// The item's deadline, if it has one.
    let deadlineMs: Int64?
    @EnvironmentObject var store: DubanStore
    @State var title = ""
    @State var content = ""
    @State var units: [UnitChoice]? = nil
    @State var unit: String? = nil
    @State var hasDeadline = false
    @State var deadline: Date
    @State var loadFailure: Failure? = nil

    init(task: String, deadlineMs: Int64?) {
        self.task = task
        self.deadlineMs = deadlineMs
        _deadline = State(initialValue: deadlineMs?.date ?? Date().addingTimeInterval(7 * 86_400))
    }

    var body: some View {
        ActForm("分解", canSubmit: filled(title) && unit != nil, submit: submit) {
            Section {
                TextField("子任务标题", text: $title)
                TextArea(prompt: "子任务内容", text: $content)
            } header: {
                Text("子任务")
            }
            Section {
                if let units {
                    if units.isEmpty {
                        Text("本单位没有下级单位")
                            .foregroundColor(.secondary)
                    } else {
                        Picker("承办单位", selection: $unit) {
                            Text("请选择").tag(String?.none)
                            ForEach(units) { choice in
                                Text(verbatim: choice.label).tag(String?.some(choice.id))
                            }
                        }
                    }
                } else if let loadFailure {
                    FailureText(failure: loadFailure)
                } else {
                    ProgressView()
                }
            } header: {
                Text("承办单位")
            }
            Section {
                Toggle("设定期限", isOn: $hasDeadline)
                if hasDeadline {
                    DatePicker("办理期限", selection: $deadline, in: Date()..., displayedComponents: [.date, .hourAndMinute])
                }
            } footer: {
                if let deadlineMs {
                    Text("上级事项截止 \(dateTime(deadlineMs));不设定时与之相同。")
                }
            }
        }
        .task { await loadUnits() }
    }

    /// The units below mine, each after the unit above it.
    private func loadUnits() async {
        guard let mine = store.me?.unit else {
            units = []
            return
        }
        do {
            let all = try await store.read { try $0.units() }
            units = Self.below(mine, in: all)
            loadFailure = nil
        } catch {
            loadFailure = Failure(error)
        }
    }

    /// The units whose chain of parents reaches `mine`, in tree order, each named with the
    /// units between `mine` and it.
    static func below(_ mine: String, in all: [UnitRow]) -> [UnitChoice] {
        var children: [String: [UnitRow]] = [:]
        for row in all {
            if let parent = row.parent {
                children[parent, default: []].append(row)
            }
        }
        var choices: [UnitChoice] = []
        var seen: Set<String> = [mine]
        func visit(_ parent: String, _ path: [String]) {
            for row in children[parent] ?? [] where seen.insert(row.id).inserted {
                let names = path + [Lang.pick(row.name, row.nameEn)]
                choices.append(UnitChoice(id: row.id, label: names.joined(separator: " / ")))
                visit(row.id, names)
            }
        }
        visit(mine, [])
        return choices
    }

    private func submit() async throws {
        guard let unit else { return }
        let task = self.task
        let title = self.title
        let content = self.content
        let deadlineMs: Int64? = hasDeadline
            ? Int64((deadline.timeIntervalSince1970 * 1000).rounded())
            : nil
        try await store.perform {
            try $0.decompose(
                task: task, title: title, content: content,
                leadUnit: unit, leadPerson: nil, deadlineMs: deadlineMs
            )
        }
    }
}
