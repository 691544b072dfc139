// An item (督办事项): its title, number, status and content, the countdown, what it asks of
// me as buttons, a rectification's photos before and after side by side, its reports with
// their photos, the files it cites, and its trail with the verification mark. One call to
// the core reads the whole screen; it is read again whenever the data may have changed and
// once a minute for the countdown. Which acts are offered comes from the core (the screen's
// acts on offer); the core decides every act again and says why when it refuses.

import Combine
import DubanCore
import SwiftUI

/// The acts on offer kept under "more" (see `moreMenu`); the others are the duties' buttons.
let menuActs: Set<Act> = [.comment, .instruct, .decompose, .follow, .unfollow, .requestResumption]

/// The sheets an item opens.
enum ItemSheet: Identifiable {
    case decline, requestExtension, requestSuspension, requestResumption
    case returnOrder, requestCommitment
    case review, rate, instruct, decompose
    case comment(replyTo: String?)
    case decide(Decision, ReportRow?)
    case report(ReportKind)

    var id: String {
        switch self {
        case .decline: return "decline"
        case .requestExtension: return "requestExtension"
        case .requestSuspension: return "requestSuspension"
        case .requestResumption: return "requestResumption"
        case .returnOrder: return "returnOrder"
        case .requestCommitment: return "requestCommitment"
        case .review: return "review"
        case .rate: return "rate"
        case .instruct: return "instruct"
        case .decompose: return "decompose"
        case .comment(let replyTo): return "comment:\(replyTo ?? "")"
        case .decide(let decision, _): return "decide:\(decision)"
        case .report(let kind): return "report:\(kind)"
        }
    }
}

@MainActor
struct ItemDetailView: View {
    let task: String
    @EnvironmentObject var store: DubanStore
    @State var screen: ItemScreen? = nil
    @State var loaded = false
    @State var failure: Failure? = nil
    @State var actFailure: Failure? = nil
    @State var sheet: ItemSheet? = nil
    @State var photo: PhotoRef? = nil
    @State var busy = false

    let minute = Timer.publish(every: 60, on: .main, in: .common).autoconnect()

    var body: some View {
        Group {
            if let screen {
                content(screen)
            } else if let failure {
                List { FailureText(failure: failure) }
            } else if loaded {
                List {
                    Text("该事项已不在本机:可能已被撤销,或你已无权查看。")
                        .foregroundColor(.secondary)
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(screen?.item.number ?? String(localized: "督办事项"))
        .navigationBarTitleDisplayMode(.inline)
        .toolbar {
            ToolbarItem(placement: .navigationBarTrailing) {
                if let screen {
                    moreMenu(screen)
                }
            }
        }
        .task(id: store.revision) { await load() }
        .onReceive(minute) { _ in
            Task { await load() }
        }
        .sheet(item: $sheet) { sheet in
            sheetView(sheet)
                .environmentObject(store)
        }
        .fullScreenCover(item: $photo) { ref in
            PhotoViewer(hash: ref.hash)
                .environmentObject(store)
        }
        .alert(
            "操作未完成",
            isPresented: Binding(get: { actFailure != nil }, set: { if !$0 { actFailure = nil } }),
            presenting: actFailure
        ) { _ in
            Button("好") { actFailure = nil }
        } message: { failure in
            Text(failure.detail.map { failure.text + "\n" + $0 } ?? failure.text)
        }
    }

    // MARK: - Sections

    @ViewBuilder
    private func content(_ screen: ItemScreen) -> some View {
        List {
            Section {
                header(screen)
                if screen.attention > 0 {
                    NavigationLink(value: Route.attention) {
                        Label("\(Int(screen.attention)) 项操作被服务器退回", systemImage: "exclamationmark.triangle.fill")
                            .font(.caption)
                            .foregroundColor(.orange)
                    }
                }
            }
            if !screen.duties.isEmpty || screen.acts.contains(where: { !menuActs.contains($0.act) }) {
                Section {
                    duties(screen)
                } header: {
                    Text("待我办理")
                }
            }
            if !screen.content.isEmpty {
                Section {
                    Text(screen.content)
                        .textSelection(.enabled)
                } header: {
                    Text("事项内容")
                }
            }
            if !screen.photoPairs.isEmpty {
                Section {
                    ForEach(Array(screen.photoPairs.enumerated()), id: \.element.before.hash) { index, pair in
                        pairRow(pair, index: index)
                    }
                } header: {
                    Text("整改前后对比")
                }
            }
            if !screen.reports.isEmpty {
                Section {
                    ForEach(screen.reports, id: \.id) { report in
                        reportRow(report, screen: screen)
                    }
                } header: {
                    Text("汇报")
                }
            }
            let attachments = screen.evidence.filter { $0.report == nil }
            if !attachments.isEmpty {
                Section {
                    ForEach(attachments, id: \.file.hash) { evidence in
                        evidenceRow(evidence)
                    }
                } header: {
                    Text("附件")
                }
            }
            Section {
                ForEach(Array(screen.trail.enumerated()), id: \.offset) { _, step in
                    trailRow(step)
                }
            } header: {
                HStack {
                    Text("流程留痕")
                    Spacer()
                    if screen.verified {
                        Label("已校验", systemImage: "checkmark.seal.fill")
                            .foregroundColor(.green)
                    } else {
                        Label("校验未通过", systemImage: "exclamationmark.triangle.fill")
                            .foregroundColor(.red)
                    }
                }
            } footer: {
                if screen.verified {
                    Text("服务器记录的每一步都与前一步哈希链接,未被改动。")
                }
            }
        }
        .refreshable { _ = await store.syncNow() }
    }

    @ViewBuilder
    private func header(_ screen: ItemScreen) -> some View {
        let item = screen.item
        VStack(alignment: .leading, spacing: 8) {
            HStack(alignment: .firstTextBaseline, spacing: 6) {
                UrgencyTag(urgency: item.urgency)
                Text(item.title)
                    .font(.title3.weight(.semibold))
                    .textSelection(.enabled)
            }
            HStack(spacing: 8) {
                if let number = item.number {
                    Text(number)
                }
                Text(Lang.pick(item.statusZh, item.statusEn))
                if let category = store.category(item.category) {
                    Text(Lang.pick(category.name, category.nameEn))
                }
            }
            .font(.subheadline)
            .foregroundColor(.secondary)
            HStack(spacing: 8) {
                LightDot(light: item.light, size: 12)
                if let days = screen.workingDaysLeft {
                    workingCountdown(days)
                        .font(.headline.monospacedDigit())
                        .foregroundColor(days < 0 ? .red : .primary)
                }
                if item.status == .suspended {
                    Text("已暂停计时")
                        .font(.caption)
                        .foregroundColor(.orange)
                }
            }
            if let reason = Lang.pick(screen.lightReasonZh, screen.lightReasonEn) {
                Text(reason)
                    .font(.footnote)
                    .foregroundColor(.secondary)
            }
            if let deadline = item.deadlineMs {
                Text("截止 \(dateTime(deadline))")
                    .font(.footnote)
                    .foregroundColor(.secondary)
            }
            ProgressView(value: Double(item.progress), total: 100) {
                (Text("进度") + Text(verbatim: " \(item.progress)%"))
                    .font(.caption)
            }
            if screen.pending > 0 {
                Label("本机有 \(Int(screen.pending)) 项操作待发送", systemImage: "arrow.up.circle")
                    .font(.caption)
                    .foregroundColor(.orange)
            }
        }
        .padding(.vertical, 4)
    }

    /// The acts on offer that answer what the item asks, one button each (the core tried
    /// each with its rules); what is done only on the office's desktop (submit, dispatch,
    /// close) is named without a button.
    @ViewBuilder
    private func duties(_ screen: ItemScreen) -> some View {
        let id = screen.item.id
        ForEach(screen.acts, id: \.act) { row in
            switch row.act {
            case .receive:
                Button {
                    Task { await act { try $0.receive(task: id) } }
                } label: {
                    Label("签收", systemImage: "signature")
                }
                .disabled(busy)
            case .decline:
                Button(role: .destructive) {
                    sheet = .decline
                } label: {
                    Label("拒签", systemImage: "arrow.uturn.backward")
                }
            case .returnOrder:
                Button(role: .destructive) {
                    sheet = .returnOrder
                } label: {
                    Label("退单", systemImage: "arrowshape.turn.up.backward")
                }
            case .reportProgress:
                Button { sheet = .report(.progress) } label: {
                    Label("进展汇报", systemImage: "chart.line.uptrend.xyaxis")
                }
            case .reportCompletion:
                Button { sheet = .report(.completion) } label: {
                    Label("完成汇报", systemImage: "checkmark.circle")
                }
            case .requestExtension:
                Button { sheet = .requestExtension } label: {
                    Label("申请延期", systemImage: "calendar.badge.clock")
                }
            case .requestCommitment:
                Button { sheet = .requestCommitment } label: {
                    Label("申请承诺件", systemImage: "calendar.badge.exclamationmark")
                }
            case .requestSuspension:
                Button { sheet = .requestSuspension } label: {
                    Label("申请暂停", systemImage: "pause.circle")
                }
            case .review:
                Button { sheet = .review } label: {
                    Label("复核", systemImage: "checkmark.seal")
                }
            case .rate:
                Button { sheet = .rate } label: {
                    Label("评价", systemImage: "star")
                }
            case .decideExtension:
                Button { sheet = .decide(.extensionRequest, nil) } label: {
                    Label("审批延期申请", systemImage: "calendar.badge.clock")
                }
            case .decideSuspension:
                Button { sheet = .decide(.suspension, nil) } label: {
                    Label("审批暂停申请", systemImage: "pause.circle")
                }
            case .decideResumption:
                Button { sheet = .decide(.resumption, nil) } label: {
                    Label("审批恢复申请", systemImage: "play.circle")
                }
            case .decideRegistration:
                Button { sheet = .decide(.registration, nil) } label: {
                    Label("审批立项", systemImage: "doc.badge.plus")
                }
            case .decideReport:
                ForEach(screen.reports.filter { $0.status == .pendingApproval }, id: \.id) { report in
                    Button { sheet = .decide(.report(report.id), report) } label: {
                        Label("审批汇报:\(report.byName)", systemImage: "doc.text.magnifyingglass")
                    }
                }
            default:
                // In the menu (see moreMenu).
                EmptyView()
            }
        }
        ForEach(screen.officeDuties, id: \.duty) { duty in
            HStack {
                Text(Lang.pick(duty.zh, duty.en))
                Spacer()
                Text("请在电脑端办理")
                    .font(.caption)
                    .foregroundColor(.secondary)
            }
        }
    }

    @ViewBuilder
    private func reportRow(_ report: ReportRow, screen: ItemScreen) -> some View {
        VStack(alignment: .leading, spacing: 6) {
            HStack {
                Text(verbatim: report.kind.name)
                    .font(.subheadline.weight(.semibold))
                if let percent = report.percent {
                    Text(verbatim: "\(percent)%")
                        .font(.subheadline.monospacedDigit())
                }
                Spacer()
                reportStatus(report.status)
                    .font(.caption)
            }
            Text(verbatim: "\(report.byName) · \(dateTime(report.atMs))")
                .font(.caption)
                .foregroundColor(.secondary)
            if !report.text.isEmpty {
                Text(report.text)
                    .textSelection(.enabled)
            }
            if !report.evidence.isEmpty {
                ScrollView(.horizontal, showsIndicators: false) {
                    HStack(spacing: 8) {
                        ForEach(report.evidence, id: \.hash) { file in
                            thumbnail(file.hash)
                        }
                    }
                }
                let warnings = screen.evidence
                    .filter { $0.report == report.id }
                    .flatMap { Lang.isChinese ? $0.warnings : $0.warningsEn }
                ForEach(uniqued(warnings), id: \.self) { warning in
                    Label(warning, systemImage: "exclamationmark.triangle")
                        .font(.caption)
                        .foregroundColor(.orange)
                }
            }
        }
        .padding(.vertical, 4)
    }

    /// A "before" photo (整改前) beside the "after" photos that answer it (整改后).
    @ViewBuilder
    private func pairRow(_ pair: PhotoPairRow, index: Int) -> some View {
        HStack(alignment: .top, spacing: 10) {
            VStack(alignment: .leading, spacing: 4) {
                thumbnail(pair.before.hash)
                Text("整改前 \(index + 1)")
                    .font(.caption)
                    .foregroundColor(.secondary)
            }
            Image(systemName: "arrow.right")
                .foregroundColor(.secondary)
                .frame(height: 88)
            VStack(alignment: .leading, spacing: 4) {
                if pair.after.isEmpty {
                    RoundedRectangle(cornerRadius: 6)
                        .strokeBorder(Color.secondary.opacity(0.5), style: StrokeStyle(lineWidth: 1, dash: [4]))
                        .frame(width: 88, height: 88)
                        .overlay(
                            Text("尚未整改")
                                .font(.caption)
                                .foregroundColor(.secondary)
                        )
                } else {
                    ScrollView(.horizontal, showsIndicators: false) {
                        HStack(spacing: 8) {
                            ForEach(pair.after, id: \.hash) { file in
                                thumbnail(file.hash)
                            }
                        }
                    }
                }
                Text("整改后")
                    .font(.caption)
                    .foregroundColor(.secondary)
            }
        }
        .padding(.vertical, 4)
    }

    /// A report's status by the core's name, coloured by what it asks.
    private func reportStatus(_ status: ReportStatus) -> Text {
        let name = Text(verbatim: status.name)
        switch status {
        case .pendingApproval: return name.foregroundColor(.orange)
        case .filed: return name.foregroundColor(.secondary)
        case .returned: return name.foregroundColor(.red)
        case .accepted: return name.foregroundColor(.green)
        case .reworked: return name.foregroundColor(.secondary)
        }
    }

    @ViewBuilder
    private func evidenceRow(_ evidence: EvidenceRow) -> some View {
        HStack(alignment: .top, spacing: 10) {
            thumbnail(evidence.file.hash)
            VStack(alignment: .leading, spacing: 4) {
                Text(evidence.file.name)
                    .font(.caption)
                ForEach(Lang.isChinese ? evidence.warnings : evidence.warningsEn, id: \.self) { warning in
                    Label(warning, systemImage: "exclamationmark.triangle")
                        .font(.caption)
                        .foregroundColor(.orange)
                }
            }
        }
    }

    private func thumbnail(_ hash: String) -> some View {
        Button {
            photo = PhotoRef(hash: hash)
        } label: {
            EvidenceImage(hash: hash)
                .frame(width: 88, height: 88)
                .clipShape(RoundedRectangle(cornerRadius: 6))
        }
        .buttonStyle(.borderless)
    }

    @ViewBuilder
    private func trailRow(_ step: TrailRow) -> some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack(alignment: .firstTextBaseline) {
                Text(Lang.pick(step.titleZh, step.titleEn))
                    .font(.subheadline.weight(.medium))
                Spacer()
                Text(dateTime(step.atMs))
                    .font(.caption.monospacedDigit())
                    .foregroundColor(.secondary)
            }
            Text(step.actorName)
                .font(.caption)
                .foregroundColor(.secondary)
            if !step.detail.isEmpty {
                Text(step.detail)
                    .font(.callout)
                    .textSelection(.enabled)
            }
            HStack {
                if step.pending {
                    Label("待发送", systemImage: "clock.arrow.circlepath")
                        .font(.caption)
                        .foregroundColor(.orange)
                } else if let seq = step.taskSeq {
                    Text(verbatim: "#\(seq)")
                        .font(.caption2.monospacedDigit())
                        .foregroundColor(.secondary)
                }
                Spacer()
                if let note = step.note, !step.pending {
                    Button("回复") {
                        sheet = .comment(replyTo: note)
                    }
                    .font(.caption)
                    .buttonStyle(.borderless)
                }
            }
        }
        .padding(.vertical, 2)
    }

    /// The acts on offer that are not the duties' buttons: commenting, instructing,
    /// decomposing, following and asking to resume. The core chose them; it decides each
    /// again and says why when it refuses.
    private func moreMenu(_ screen: ItemScreen) -> some View {
        let id = screen.item.id
        let offered = Set(screen.acts.map(\.act))
        return Menu {
            if offered.contains(.comment) {
                Button { sheet = .comment(replyTo: nil) } label: {
                    Label("评论", systemImage: "text.bubble")
                }
            }
            if offered.contains(.instruct) {
                Button { sheet = .instruct } label: {
                    Label("批示", systemImage: "pencil.and.outline")
                }
            }
            if offered.contains(.decompose) {
                Button { sheet = .decompose } label: {
                    Label("分解", systemImage: "arrow.triangle.branch")
                }
            }
            if offered.contains(.follow) {
                Button {
                    Task { await act(sendNow: true) { try $0.follow(task: id) } }
                } label: {
                    Label("关注", systemImage: "star")
                }
            }
            if offered.contains(.unfollow) {
                Button {
                    Task { await act(sendNow: true) { try $0.unfollow(task: id) } }
                } label: {
                    Label("取消关注", systemImage: "star.slash")
                }
            }
            if offered.contains(.requestResumption) {
                Button { sheet = .requestResumption } label: {
                    Label("申请恢复", systemImage: "play.circle")
                }
            }
        } label: {
            Label("更多操作", systemImage: "ellipsis.circle")
        }
    }

    @ViewBuilder
    private func sheetView(_ sheet: ItemSheet) -> some View {
        let item = screen?.item
        switch sheet {
        case .decline:
            ReasonSheet(task: task, kind: .decline)
        case .requestSuspension:
            ReasonSheet(task: task, kind: .suspension)
        case .requestResumption:
            ReasonSheet(task: task, kind: .resumption)
        case .requestExtension:
            ExtensionSheet(task: task, deadlineMs: item?.deadlineMs)
        case .returnOrder:
            ReasonSheet(task: task, kind: .returnOrder)
        case .requestCommitment:
            CommitmentSheet(task: task, deadlineMs: item?.deadlineMs)
        case .review:
            ReviewSheet(task: task)
        case .rate:
            RateSheet(task: task)
        case .instruct:
            NoteSheet(task: task, kind: .instruction)
        case .decompose:
            DecomposeSheet(task: task, deadlineMs: item?.deadlineMs)
        case .comment(let replyTo):
            NoteSheet(task: task, kind: .comment(replyTo: replyTo))
        case .decide(let decision, let report):
            DecisionSheet(task: task, decision: decision, report: report)
        case .report(let kind):
            ReportSheet(task: task, kind: kind, progress: item?.progress ?? 0, pairs: screen?.photoPairs ?? [])
        }
    }

    // MARK: - Reading and acting

    private func load() async {
        let task = self.task
        do {
            screen = try await store.read { try $0.item(task: task) }
            failure = nil
        } catch {
            if screen == nil { failure = Failure(error) }
        }
        loaded = true
    }

    private func act(sendNow: Bool = true, _ body: @escaping @Sendable (DubanApp) throws -> String) async {
        busy = true
        defer { busy = false }
        do {
            try await store.perform(sendNow: sendNow, body)
        } catch {
            actFailure = Failure(error)
        }
    }
}

/// The strings once each, in their first order.
private func uniqued(_ strings: [String]) -> [String] {
    var seen = Set<String>()
    return strings.filter { seen.insert($0).inserted }
}
