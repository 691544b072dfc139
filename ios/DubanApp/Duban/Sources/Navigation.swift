// Where the app is: the selected tab and the inbox's navigation path, so that a tapped
// notification can open its item.

import SwiftUI

/// A screen pushed on a navigation stack.
enum Route: Hashable {
    /// An item's screen, by its id.
    case item(String)
    /// Acts the server refused.
    case attention
    /// Acts waiting to be sent.
    case pending
}

/// The tabs.
enum AppTab: Hashable {
    case inbox, items, approvals, notifications, me
}

/// The app's navigation state.
@MainActor
final class Navigator: ObservableObject {
    @Published var tab: AppTab = .inbox
    @Published var inboxPath: [Route] = []

    /// Opens an item on the inbox tab (a tapped push notification).
    func open(task: String) {
        tab = .inbox
        inboxPath = [.item(task)]
    }
}

extension View {
    /// The screens a navigation stack can push.
    @MainActor
    func routes() -> some View {
        navigationDestination(for: Route.self) { route in
            RouteView(route: route)
        }
    }
}

/// The view of a route.
@MainActor
struct RouteView: View {
    let route: Route

    var body: some View {
        switch route {
        case .item(let id):
            ItemDetailView(task: id)
        case .attention:
            AttentionView()
        case .pending:
            PendingView()
        }
    }
}
