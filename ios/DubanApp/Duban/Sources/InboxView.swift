// The inbox (待办): what needs me now, most pressing first, with the sync status and the
// unread count; pull to sync. Those the core lets register items find "register a problem
// found on site" here; the new item opens once it is registered.

import DubanCore
import SwiftUI

@MainActor
struct InboxView: View {
    @EnvironmentObject var store: DubanStore
    @EnvironmentObject var navigator: Navigator
    @State var registering = false
    /// The item just registered, opened once the sheet has closed.
    @State var registered: String? = nil

    var body: some View {
        NavigationStack(path: $navigator.inboxPath) {
            List {
                Section {
                    SyncBar(status: store.sync)
                        .font(.footnote)
                    if !store.attention.isEmpty {
                        NavigationLink(value: Route.attention) {
                            Label("\(store.attention.count) 项操作被服务器退回,需要处理", systemImage: "exclamationmark.triangle.fill")
                                .foregroundColor(.orange)
                        }
                    }
                }
                Section {
                    if let rows = store.inbox?.rows {
                        if rows.isEmpty {
                            Text("暂无待办事项")
                                .foregroundColor(.secondary)
                        }
                        ForEach(rows, id: \.item.id) { row in
                            NavigationLink(value: Route.item(row.item.id)) {
                                ItemRowView(item: row.item, duties: row.duties)
                            }
                        }
                    } else {
                        ProgressView()
                    }
                } header: {
                    Text("待我办理")
                }
            }
            .listStyle(.insetGrouped)
            .refreshable { _ = await store.syncNow() }
            .navigationTitle("待办")
            .toolbar {
                ToolbarItem(placement: .navigationBarLeading) {
                    if mayRegister {
                        Button {
                            registering = true
                        } label: {
                            Label("登记现场问题", systemImage: "exclamationmark.bubble")
                        }
                    }
                }
                ToolbarItem(placement: .navigationBarTrailing) {
                    Button {
                        navigator.tab = .notifications
                    } label: {
                        let unread = Int(clamping: store.inbox?.unread ?? 0)
                        if unread > 0 {
                            Label("未读通知 \(unread)", systemImage: "bell.badge")
                                .labelStyle(.titleAndIcon)
                        } else {
                            Label("通知", systemImage: "bell")
                        }
                    }
                }
            }
            .routes()
            .sheet(isPresented: $registering, onDismiss: openRegistered) {
                RegisterSheet { id in registered = id }
                    .environmentObject(store)
            }
        }
    }

    /// Offered to those the core lets register items; it decides each registration anyway.
    private var mayRegister: Bool {
        store.me?.mayRegister ?? false
    }

    private func openRegistered() {
        guard let id = registered else { return }
        registered = nil
        navigator.inboxPath.append(.item(id))
    }
}
