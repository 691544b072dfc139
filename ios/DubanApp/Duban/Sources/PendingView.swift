// Waiting to send (待发送): this device's acts the server has not confirmed yet, oldest first
// — what each is, when it was done, whether it reached the server, how often sending it was
// tried and why the last try failed — with "sync now". Each opens its item.

import DubanCore
import SwiftUI

@MainActor
struct PendingView: View {
    @EnvironmentObject var store: DubanStore
    @State var rows: [PendingRow]? = nil
    @State var failure: Failure? = nil
    @State var syncing = false

    var body: some View {
        List {
            Section {
                SyncBar(status: store.sync)
                    .font(.footnote)
                Button {
                    Task { await syncNow() }
                } label: {
                    Label("立即同步", systemImage: "arrow.triangle.2.circlepath")
                }
                .disabled(syncing)
            }
            if let failure {
                Section {
                    FailureText(failure: failure)
                }
            }
            Section {
                if let rows {
                    if rows.isEmpty {
                        Text("没有待发送的操作")
                            .foregroundColor(.secondary)
                    }
                    ForEach(rows, id: \.id) { row in
                        NavigationLink(value: Route.item(row.task)) {
                            pendingRow(row)
                        }
                    }
                } else if failure == nil {
                    ProgressView()
                }
            } header: {
                Text("待发送操作")
            } footer: {
                Text("操作已保存在本机,联网后自动发送。")
            }
        }
        .listStyle(.insetGrouped)
        .refreshable { await syncNow() }
        .navigationTitle("待发送")
        .task(id: store.revision) { await load() }
    }

    @ViewBuilder
    private func pendingRow(_ row: PendingRow) -> some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack(alignment: .firstTextBaseline) {
                Text(Lang.pick(row.nameZh, row.nameEn))
                    .font(.subheadline.weight(.medium))
                Spacer()
                Text(dateTime(row.issuedMs))
                    .font(.caption.monospacedDigit())
                    .foregroundColor(.secondary)
            }
            HStack(spacing: 8) {
                if row.sent {
                    Label("已送达,等待服务器确认", systemImage: "checkmark.circle")
                        .foregroundColor(.secondary)
                } else {
                    Label("未发送", systemImage: "clock.arrow.circlepath")
                        .foregroundColor(.orange)
                }
                if row.attempts > 0 {
                    Text("已尝试 \(Int(row.attempts)) 次")
                        .foregroundColor(.secondary)
                }
            }
            .font(.caption)
            if let error = row.lastError, !error.isEmpty {
                Text(verbatim: error)
                    .font(.caption)
                    .foregroundColor(.red)
            }
        }
        .padding(.vertical, 2)
    }

    private func load() async {
        do {
            rows = try await store.read { try $0.pending() }
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }

    private func syncNow() async {
        syncing = true
        defer { syncing = false }
        _ = await store.syncNow()
        await load()
    }
}
