// Small views the screens share: the light, the urgency tag, the sync bar, an item row,
// duty chips, a failure, and a photo loaded by its hash.

import DubanCore
import SwiftUI
import UIKit

/// The timeliness light (亮灯) as a coloured dot; grey where no clock runs.
@MainActor
struct LightDot: View {
    let light: Light?
    var size: CGFloat = 10

    var body: some View {
        Circle()
            .fill(color)
            .frame(width: size, height: size)
            .accessibilityLabel(label)
    }

    private var color: Color {
        switch light {
        case .red: return .red
        case .yellow: return .yellow
        case .green: return .green
        case nil: return Color(.systemGray4)
        }
    }

    /// The light's name from the core; none runs where no clock runs.
    private var label: Text {
        light.map { Text(verbatim: $0.name) } ?? Text("未计时")
    }
}

/// The urgency (紧急程度) as a small tag, named by the core.
@MainActor
struct UrgencyTag: View {
    let urgency: Urgency

    var body: some View {
        switch urgency {
        case .extraUrgent: tag(urgency.name, .red)
        case .urgent: tag(urgency.name, .orange)
        case .normal: tag(urgency.name, .secondary)
        }
    }

    private func tag(_ name: String, _ color: Color) -> some View {
        Text(verbatim: name)
            .font(.caption2.weight(.semibold))
            .foregroundColor(color)
            .padding(.horizontal, 5)
            .padding(.vertical, 1)
            .overlay(RoundedRectangle(cornerRadius: 4).stroke(color, lineWidth: 1))
    }
}

/// How syncing goes, in one line.
@MainActor
struct SyncBar: View {
    let status: SyncStatus

    var body: some View {
        switch status {
        case .idle(let last):
            if let last {
                Label("已同步 \(shortTime(last))", systemImage: "checkmark.icloud")
                    .foregroundColor(.secondary)
            } else {
                Label("尚未同步", systemImage: "icloud")
                    .foregroundColor(.secondary)
            }
        case .syncing(let done, let total):
            HStack(spacing: 8) {
                ProgressView()
                if total > 0 {
                    Text("正在同步 \(Int(clamping: done))/\(Int(clamping: total))")
                } else {
                    Text("正在同步…")
                }
            }
            .foregroundColor(.secondary)
        case .offline(let retryAt):
            Label("离线:操作已保存在本机,\(shortTime(retryAt)) 后自动重试", systemImage: "icloud.slash")
                .foregroundColor(.orange)
        case .error(_, let zh, let en):
            Label(Lang.pick(zh, en), systemImage: "exclamationmark.icloud")
                .foregroundColor(.red)
        }
    }
}

/// What an item asks of me, as chips.
@MainActor
struct DutyChips: View {
    let duties: [DutyRow]

    var body: some View {
        HStack(spacing: 4) {
            ForEach(duties, id: \.duty) { duty in
                Text(Lang.pick(duty.zh, duty.en))
                    .font(.caption2)
                    .padding(.horizontal, 6)
                    .padding(.vertical, 2)
                    .background(Capsule().fill(Color.accentColor.opacity(0.15)))
            }
        }
    }
}

/// One item in a list: light, urgency, title, number and status, countdown, duties.
@MainActor
struct ItemRowView: View {
    let item: ItemRow
    var duties: [DutyRow] = []

    var body: some View {
        HStack(alignment: .top, spacing: 10) {
            LightDot(light: item.light)
                .padding(.top, 6)
            VStack(alignment: .leading, spacing: 4) {
                HStack(alignment: .firstTextBaseline, spacing: 6) {
                    UrgencyTag(urgency: item.urgency)
                    Text(item.title)
                        .font(.headline)
                        .lineLimit(2)
                }
                HStack(spacing: 8) {
                    if let number = item.number {
                        Text(number)
                    }
                    Text(Lang.pick(item.statusZh, item.statusEn))
                }
                .font(.caption)
                .foregroundColor(.secondary)
                HStack(spacing: 8) {
                    if let deadline = item.deadlineMs {
                        TimelineView(.periodic(from: .now, by: 60)) { context in
                            countdown(deadlineMs: deadline, now: context.date)
                                .foregroundColor(isOverdue(deadline, now: context.date) ? .red : .secondary)
                        }
                    }
                    if item.pending > 0 {
                        Text("待发送 \(Int(item.pending))")
                            .foregroundColor(.orange)
                    }
                }
                .font(.caption.monospacedDigit())
                if !duties.isEmpty {
                    DutyChips(duties: duties)
                }
            }
        }
        .padding(.vertical, 2)
    }
}

/// A failure: the core's sentence in red.
@MainActor
struct FailureText: View {
    let failure: Failure

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text(failure.text)
                .foregroundColor(.red)
            if let detail = failure.detail {
                Text(detail)
                    .font(.caption)
                    .foregroundColor(.secondary)
            }
        }
    }
}

/// Decoded photos by hash, so that lists do not decode them again while scrolling.
@MainActor
final class PhotoCache {
    static let shared = PhotoCache()
    private let cache = NSCache<NSString, UIImage>()

    func image(_ hash: String) -> UIImage? {
        cache.object(forKey: hash as NSString)
    }

    func put(_ hash: String, _ image: UIImage) {
        cache.setObject(image, forKey: hash as NSString)
    }
}

/// A cited photo, loaded by its hash (`DubanApp.file(hash:)`: from the device, else from
/// the server).
@MainActor
struct EvidenceImage: View {
    let hash: String
    var fill = true
    @EnvironmentObject var store: DubanStore
    @State var image: UIImage? = nil
    @State var failed = false

    var body: some View {
        ZStack {
            if let image {
                Image(uiImage: image)
                    .resizable()
                    .aspectRatio(contentMode: fill ? .fill : .fit)
            } else if failed {
                Image(systemName: "photo")
                    .foregroundColor(.secondary)
            } else {
                ProgressView()
            }
        }
        .task(id: hash) { await load() }
    }

    private func load() async {
        if let cached = PhotoCache.shared.image(hash) {
            image = cached
            return
        }
        do {
            let file = try await store.file(hash: hash)
            if let decoded = UIImage(data: file.bytes) {
                PhotoCache.shared.put(hash, decoded)
                image = decoded
            } else {
                failed = true
            }
        } catch {
            failed = true
        }
    }
}

/// A photo full screen, closed by a tap.
@MainActor
struct PhotoViewer: View {
    let hash: String
    @Environment(\.dismiss) var dismiss

    var body: some View {
        ZStack {
            Color.black.ignoresSafeArea()
            EvidenceImage(hash: hash, fill: false)
        }
        .onTapGesture { dismiss() }
    }
}

/// A photo hash that can drive `.sheet(item:)` / `.fullScreenCover(item:)`.
struct PhotoRef: Identifiable, Hashable {
    let hash: String
    var id: String { hash }
}
