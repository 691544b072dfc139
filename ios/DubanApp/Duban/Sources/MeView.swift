// Me (我的): who is signed in, the server, sync, acts waiting to be sent (the list opens
// from here) or refused, and signing out (the core refuses while work is unsent; the person
// may then discard it).

import DubanCore
import SwiftUI

@MainActor
struct MeView: View {
    @EnvironmentObject var store: DubanStore
    @State var busy = false
    @State var failure: Failure? = nil
    @State var confirmDiscard = false

    var body: some View {
        NavigationStack {
            List {
                if let me = store.me {
                    Section {
                        LabeledContent("姓名", value: me.name)
                        if !me.position.isEmpty {
                            LabeledContent("职务", value: me.position)
                        }
                        LabeledContent("账号", value: me.username)
                        if let server = store.serverUrl {
                            LabeledContent("服务器", value: server)
                        }
                    }
                }
                Section {
                    SyncBar(status: store.sync)
                    NavigationLink(value: Route.pending) {
                        LabeledContent("待发送操作", value: "\(store.pending)")
                    }
                    Button("立即同步") {
                        Task { _ = await store.syncNow() }
                    }
                    NavigationLink(value: Route.attention) {
                        LabeledContent("被退回的操作", value: "\(store.attention.count)")
                    }
                } header: {
                    Text("同步")
                }
                Section {
                    if let failure {
                        FailureText(failure: failure)
                    }
                    Button("退出登录", role: .destructive) {
                        Task { await signOut(discardPending: false) }
                    }
                    .disabled(busy)
                }
            }
            .navigationTitle("我的")
            .routes()
            .confirmationDialog("仍要退出登录吗?未发送和被退回的操作将被丢弃。", isPresented: $confirmDiscard, titleVisibility: .visible) {
                Button("丢弃并退出", role: .destructive) {
                    Task { await signOut(discardPending: true) }
                }
            }
        }
    }

    private func signOut(discardPending: Bool) async {
        busy = true
        defer { busy = false }
        do {
            try await store.signOut(discardPending: discardPending)
        } catch let error as DubanError {
            failure = Failure(error)
            // The core refuses while acts wait to be sent; the person may discard them.
            if error.code == "client.unsent_work" {
                confirmDiscard = true
            }
        } catch {
            failure = Failure(error)
        }
    }
}
