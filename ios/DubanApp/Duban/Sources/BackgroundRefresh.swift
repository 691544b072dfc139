// Background refresh: a BGAppRefreshTask (cn.gov.duban.refresh, listed in Info.plist under
// BGTaskSchedulerPermittedIdentifiers) that runs the core's background sync, which sends
// what waits and takes in what is new unless a backoff after a failure is running.

import BackgroundTasks
import DubanCore
import Foundation

enum BackgroundRefresh {
    static let identifier = "cn.gov.duban.refresh"

    /// Registers the task's handler; call before `didFinishLaunching` returns.
    @MainActor
    static func register(store: DubanStore) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: .main) { task in
            guard let task = task as? BGAppRefreshTask else {
                task.setTaskCompleted(success: false)
                return
            }
            Task { @MainActor in run(task, store: store) }
        }
    }

    /// Asks iOS to run the task again, at the earliest in 15 minutes (iOS decides when).
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Not available (the simulator, background refresh turned off): the app syncs
            // when it comes to the front.
        }
    }

    @MainActor
    private static func run(_ task: BGAppRefreshTask, store: DubanStore) {
        schedule()
        let completion = Completion(task)
        let work = Task { @MainActor in
            let result = await store.syncInBackground()
            completion.finish(success: result != .failed)
        }
        task.expirationHandler = expiry(work, completion)
    }

    /// What to do when iOS ends the task early; it may call this on any thread, so the
    /// closure is made outside the main actor.
    private nonisolated static func expiry(_ work: Task<Void, Never>, _ completion: Completion) -> () -> Void {
        return {
            work.cancel()
            completion.finish(success: false)
        }
    }
}

/// Completes a background task once, whichever comes first: the sync or the expiry.
private final class Completion: @unchecked Sendable {
    private let lock = NSLock()
    private var task: BGTask?

    init(_ task: BGTask) {
        self.task = task
    }

    func finish(success: Bool) {
        lock.lock()
        let task = self.task
        self.task = nil
        lock.unlock()
        task?.setTaskCompleted(success: success)
    }
}
