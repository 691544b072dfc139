// The app delegate: opens the store at launch, registers the background refresh task,
// registers for remote notifications and hands the APNs token to the core, and syncs when a
// notification arrives.

import BackgroundTasks
import DubanCore
import UIKit
import UserNotifications

@MainActor
final class AppDelegate: NSObject, UIApplicationDelegate {
    lazy var store = DubanStore()
    lazy var navigator = Navigator()
    private lazy var notifications = NotificationDelegate(store: store, navigator: navigator)

    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        store.start()
        // Must be registered before launching ends.
        BackgroundRefresh.register(store: store)

        let center = UNUserNotificationCenter.current()
        center.delegate = notifications
        center.requestAuthorization(options: [.alert, .badge, .sound]) { _, _ in }
        // The token does not depend on the person allowing alerts.
        application.registerForRemoteNotifications()
        return true
    }

    func application(_ application: UIApplication, didRegisterForRemoteNotificationsWithDeviceToken deviceToken: Data) {
        let token = deviceToken.map { String(format: "%02x", $0) }.joined()
        let store = self.store
        Task { await store.pushTokenReceived(token) }
    }

    func application(_ application: UIApplication, didFailToRegisterForRemoteNotificationsWithError error: Error) {
        // No APNs here (the simulator before Xcode 14, a build without the aps-environment
        // entitlement): the in-app inbox and the server's SMS still reach the person.
    }

    /// A notification with `content-available`, or any while the app runs: sync.
    func application(
        _ application: UIApplication,
        didReceiveRemoteNotification userInfo: [AnyHashable: Any],
        fetchCompletionHandler completionHandler: @escaping (UIBackgroundFetchResult) -> Void
    ) {
        let store = self.store
        Task {
            let result = await store.syncInBackground()
            completionHandler(result.fetchResult)
        }
    }
}

/// Notifications shown while the app is in front, and taps on them.
final class NotificationDelegate: NSObject, UNUserNotificationCenterDelegate {
    private let store: DubanStore
    private let navigator: Navigator

    init(store: DubanStore, navigator: Navigator) {
        self.store = store
        self.navigator = navigator
    }

    /// In front: show the banner and sync, so the inbox has what the notification tells of.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
    ) {
        let store = self.store
        Task { @MainActor in _ = await store.syncNow() }
        completionHandler([.banner, .list, .sound])
    }

    /// Tapped: open its item (the server puts the item's id under `task`) and sync.
    func userNotificationCenter(
        _ center: UNUserNotificationCenter,
        didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping () -> Void
    ) {
        let task = response.notification.request.content.userInfo["task"] as? String
        let store = self.store
        let navigator = self.navigator
        Task { @MainActor in
            if let task { navigator.open(task: task) }
            _ = await store.syncNow()
        }
        completionHandler()
    }
}

extension BackgroundSyncResult {
    var fetchResult: UIBackgroundFetchResult {
        switch self {
        case .newData: return .newData
        case .noData: return .noData
        case .failed: return .failed
        }
    }
}
