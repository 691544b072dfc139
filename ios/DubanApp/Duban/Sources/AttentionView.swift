// Needs attention (待处理): this device's acts the server refused, with its reason; each can
// be sent again unchanged (after what blocked it was fixed) or given up.

import DubanCore
import SwiftUI

@MainActor
struct AttentionView: View {
    @EnvironmentObject var store: DubanStore
    @State var failure: Failure? = nil
    @State var discarding: AttentionRow? = nil

    var body: some View {
        List {
            if let failure {
                FailureText(failure: failure)
            }
            if store.attention.isEmpty {
                Text("没有需要处理的操作")
                    .foregroundColor(.secondary)
            }
            ForEach(store.attention, id: \.id) { row in
                Section {
                    NavigationLink(value: Route.item(row.task)) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(Lang.pick(row.zh, row.en))
                            Text(verbatim: row.code)
                                .font(.caption.monospaced())
                                .foregroundColor(.secondary)
                        }
                    }
                    HStack {
                        Button("重新提交") {
                            Task { await resubmit(row) }
                        }
                        Spacer()
                        Button("放弃", role: .destructive) {
                            discarding = row
                        }
                    }
                    .buttonStyle(.borderless)
                }
            }
        }
        .navigationTitle("待处理操作")
        .confirmationDialog(
            "放弃这项操作?它不会再发送。",
            isPresented: Binding(get: { discarding != nil }, set: { if !$0 { discarding = nil } }),
            titleVisibility: .visible,
            presenting: discarding
        ) { row in
            Button("放弃", role: .destructive) {
                Task { await discard(row) }
            }
        }
    }

    private func resubmit(_ row: AttentionRow) async {
        let id = row.id
        do {
            try await store.perform { try $0.resubmit(id: id) }
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }

    private func discard(_ row: AttentionRow) async {
        let id = row.id
        do {
            try await store.perform(sendNow: false) { try $0.discard(id: id) }
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }
}
