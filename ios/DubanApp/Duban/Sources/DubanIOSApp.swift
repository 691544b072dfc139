// The app: one DubanStore (owned by the app delegate, so that background launches have it
// too), the root view, and the scene's life: sync when active, schedule a background refresh
// when leaving.

import DubanCore
import SwiftUI

@main
@MainActor
struct DubanIOSApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) var delegate
    @Environment(\.scenePhase) var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(delegate.store)
                .environmentObject(delegate.navigator)
        }
        .onChange(of: scenePhase) { phase in
            switch phase {
            case .active:
                let store = delegate.store
                Task { _ = await store.syncNow() }
            case .background:
                BackgroundRefresh.schedule()
            default:
                break
            }
        }
    }
}
