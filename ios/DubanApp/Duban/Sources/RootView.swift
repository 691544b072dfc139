// The root: sign-in while signed out, the tabs once signed in; and the app icon's badge,
// the unread count.

import DubanCore
import SwiftUI
import UserNotifications

@MainActor
struct RootView: View {
    @EnvironmentObject var store: DubanStore

    var body: some View {
        Group {
            switch store.phase {
            case .starting:
                ProgressView()
            case .signedOut:
                SignInView()
            case .signedIn:
                MainTabs()
            }
        }
        .onChange(of: store.inbox?.unread) { unread in
            UNUserNotificationCenter.current().setBadgeCount(Int(clamping: unread ?? 0)) { _ in }
        }
    }
}

/// The five tabs: inbox, items, approvals, notifications, me.
@MainActor
struct MainTabs: View {
    @EnvironmentObject var store: DubanStore
    @EnvironmentObject var navigator: Navigator

    var body: some View {
        TabView(selection: $navigator.tab) {
            InboxView()
                .tabItem { Label("待办", systemImage: "tray.full") }
                .badge(store.inbox?.rows.count ?? 0)
                .tag(AppTab.inbox)
            ItemsView()
                .tabItem { Label("事项", systemImage: "list.bullet.rectangle") }
                .tag(AppTab.items)
            ApprovalsView()
                .tabItem { Label("审批", systemImage: "checkmark.seal") }
                .badge(store.approvals.count)
                .tag(AppTab.approvals)
            NotificationsView()
                .tabItem { Label("通知", systemImage: "bell") }
                .badge(Int(clamping: store.inbox?.unread ?? 0))
                .tag(AppTab.notifications)
            MeView()
                .tabItem { Label("我的", systemImage: "person.crop.circle") }
                .badge(store.attention.count)
                .tag(AppTab.me)
        }
        .alert(
            "同步失败",
            isPresented: Binding(
                get: { store.failure != nil },
                set: { if !$0 { store.failure = nil } }
            ),
            presenting: store.failure
        ) { _ in
            Button("好") { store.failure = nil }
        } message: { error in
            Text(Lang.pick(error.zh, error.en))
        }
    }
}
