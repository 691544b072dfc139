// Notifications (通知): newest first; opening one marks it read (the receipt reaches the
// server with the next sync).

import DubanCore
import SwiftUI

@MainActor
struct NotificationsView: View {
    @EnvironmentObject var store: DubanStore
    @State var path: [Route] = []
    @State var failure: Failure? = nil

    var body: some View {
        NavigationStack(path: $path) {
            List {
                if let failure {
                    FailureText(failure: failure)
                }
                if store.notifications.isEmpty {
                    Text("暂无通知")
                        .foregroundColor(.secondary)
                }
                ForEach(store.notifications, id: \.id) { note in
                    Button {
                        Task { await open(note) }
                    } label: {
                        HStack(alignment: .top, spacing: 10) {
                            Circle()
                                .fill(note.read ? Color.clear : Color.accentColor)
                                .frame(width: 8, height: 8)
                                .padding(.top, 6)
                            VStack(alignment: .leading, spacing: 4) {
                                Text(Lang.pick(note.zh, note.en))
                                    .foregroundColor(.primary)
                                Text(shortTime(note.atMs))
                                    .font(.caption)
                                    .foregroundColor(.secondary)
                            }
                        }
                    }
                }
            }
            .refreshable { _ = await store.syncNow() }
            .navigationTitle("通知")
            .toolbar {
                ToolbarItem(placement: .navigationBarTrailing) {
                    Button("全部已读") {
                        Task { await markAllRead() }
                    }
                    .disabled(store.notifications.allSatisfy(\.read))
                }
            }
            .routes()
        }
    }

    private func open(_ note: NotificationRow) async {
        if !note.read {
            let id = note.id
            do {
                try await store.perform(sendNow: false) { try $0.markRead(id: id) }
            } catch {
                failure = Failure(error)
            }
        }
        path.append(.item(note.task))
    }

    private func markAllRead() async {
        do {
            try await store.perform { try $0.markRead(id: nil) }
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }
}
