// My items by view (全部, 我批示的, 我负责的 …), most recently changed first, a page at a time.

import DubanCore
import SwiftUI

@MainActor
struct ItemsView: View {
    /// The core's view codes, in the order the app lists them.
    static let views: [(code: String, title: LocalizedStringKey)] = [
        ("all", "全部"),
        ("responsible", "我负责的"),
        ("instructed", "我批示的"),
        ("created", "我创建的"),
        ("department", "本部门的"),
        ("subordinates", "下级的"),
        ("followed", "我关注的"),
        ("shared", "共享给我的"),
    ]
    static let page: UInt32 = 50

    @EnvironmentObject var store: DubanStore
    @State var listCode = "all"
    @State var rows: [ItemRow] = []
    @State var more = false
    @State var failure: Failure? = nil

    var body: some View {
        NavigationStack {
            List {
                Picker("列表", selection: $listCode) {
                    ForEach(Self.views, id: \.code) { v in
                        Text(v.title).tag(v.code)
                    }
                }
                .pickerStyle(.menu)
                if let failure {
                    FailureText(failure: failure)
                }
                if rows.isEmpty && failure == nil {
                    Text("没有事项")
                        .foregroundColor(.secondary)
                }
                ForEach(rows, id: \.id) { row in
                    NavigationLink(value: Route.item(row.id)) {
                        ItemRowView(item: row)
                    }
                }
                if more {
                    Button("加载更多") {
                        Task { await load(from: UInt32(rows.count)) }
                    }
                }
            }
            .refreshable { _ = await store.syncNow() }
            .navigationTitle("事项")
            .routes()
        }
        .task(id: "\(listCode)#\(store.revision)") { await load(from: 0) }
    }

    private func load(from offset: UInt32) async {
        let view = listCode
        let limit = Self.page
        let shown = offset == 0 ? max(UInt32(rows.count), limit) : limit
        do {
            let page = try await store.read { try $0.items(view: view, offset: offset, limit: shown) }
            rows = offset == 0 ? page : rows + page
            more = page.count == Int(shown)
            failure = nil
        } catch {
            failure = Failure(error)
        }
    }
}
