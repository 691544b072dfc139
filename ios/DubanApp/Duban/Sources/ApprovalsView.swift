// Approvals (审批): items waiting for my decision — extensions, suspensions, resumptions,
// reports, registrations. Each opens the item, where the decision is taken with an opinion.

import DubanCore
import SwiftUI

@MainActor
struct ApprovalsView: View {
    @EnvironmentObject var store: DubanStore

    var body: some View {
        NavigationStack {
            List {
                if store.approvals.isEmpty {
                    Text("暂无待审批事项")
                        .foregroundColor(.secondary)
                }
                ForEach(store.approvals, id: \.item.id) { row in
                    NavigationLink(value: Route.item(row.item.id)) {
                        ItemRowView(item: row.item, duties: row.duties)
                    }
                }
            }
            .refreshable { _ = await store.syncNow() }
            .navigationTitle("审批")
            .routes()
        }
    }
}
