// The iOS app's data layer over the generated bindings: one `DubanApp` (the Rust core: the
// offline store, the outbox, sync, the rules) behind an ObservableObject on the main actor.
// The core tells of sync status changes and data changes through its `Observer` callback,
// from a thread of its own; the store hops to the main actor, publishes the status and
// re-reads the screens it keeps (inbox, approvals, notifications, needs-attention), and bumps
// `revision` so that an open item screen re-reads its one record. Blocking calls into the
// core run on one serial queue, never on the main thread. No rules here: what may be done,
// and why not, comes from the core.

import Combine
import Foundation

/// Where the app stands: opening, signed out (show sign-in), or signed in as someone.
public enum DubanPhase: Equatable {
    /// The store is not opened yet.
    case starting
    /// Nobody is signed in, or the session ended: show the sign-in screen.
    case signedOut
    /// Signed in.
    case signedIn(Me)
}

/// What a background sync did, for `BGAppRefreshTask` and remote notifications.
public enum BackgroundSyncResult: Equatable {
    /// Something was sent or taken in.
    case newData
    /// Nothing to do, offline, or waiting out a backoff.
    case noData
    /// It failed for a reason other than being offline.
    case failed
}

/// The app's one model object: the core and the screens it shows, kept current.
@MainActor
public final class DubanStore: ObservableObject {
    /// Signed in or not.
    @Published public private(set) var phase: DubanPhase = .starting
    /// The server the store syncs with.
    @Published public private(set) var serverUrl: String? = nil
    /// How syncing goes (the status bar).
    @Published public private(set) var sync: SyncStatus = .idle(lastSyncedMs: nil)
    /// The inbox screen (rows, unread count, sync status); none before the first read.
    @Published public private(set) var inbox: InboxScreen? = nil
    /// Items waiting for my approval.
    @Published public private(set) var approvals: [InboxRow] = []
    /// Notifications, newest first.
    @Published public private(set) var notifications: [NotificationRow] = []
    /// Acts of this device the server refused.
    @Published public private(set) var attention: [AttentionRow] = []
    /// Acts waiting to be sent.
    @Published public private(set) var pending: UInt32 = 0
    /// The organisation's item categories (for showing a category's name).
    @Published public private(set) var categories: [CategoryRow] = []
    /// Bumped whenever the data may have changed: item screens re-read on it.
    @Published public private(set) var revision: UInt64 = 0
    /// The last failure no screen asked for (a sync that failed for a reason to show).
    @Published public var failure: DubanError? = nil

    /// Who is signed in.
    public var me: Me? {
        if case .signedIn(let me) = phase { return me }
        return nil
    }

    private var app: DubanApp?
    private var relay: ObserverRelay?
    /// The relay's registration with the core, cancelled when another app is opened.
    private var observation: Observation?
    private let directory: URL?
    private let defaults: UserDefaults
    private let appVersion: String
    private var pushToken: String?
    private var registeredPushToken: String?
    private var reloading = false
    private var reloadAgain = false

    private enum Keys {
        static let server = "duban.server"
    }

    /// A store kept in `directory` (default: Application Support/Duban); the server's address
    /// is remembered in `defaults`.
    public init(directory: URL? = nil, defaults: UserDefaults = .standard, appVersion: String? = nil) {
        self.directory = directory
        self.defaults = defaults
        let info = Bundle.main.infoDictionary
        let version = info?["CFBundleShortVersionString"] as? String ?? "0"
        let build = info?["CFBundleVersion"] as? String ?? "0"
        self.appVersion = appVersion ?? "\(version) (\(build))"
        self.serverUrl = defaults.string(forKey: Keys.server)
    }

    // MARK: - Opening, signing in and out

    /// Opens the store for the remembered server and reads who is signed in. Call once at
    /// launch (also for a launch in the background, before a background sync).
    public func start() {
        guard case .starting = phase else { return }
        guard let url = serverUrl else {
            phase = .signedOut
            return
        }
        do {
            let app = try open(url)
            if let me = app.me() {
                phase = .signedIn(me)
                Task { await reload() }
            } else {
                phase = .signedOut
            }
        } catch {
            phase = .signedOut
        }
    }

    /// Signs in at `serverUrl` (e.g. `https://duban.example.gov.cn`) and starts the first
    /// sync. Throws the core's error (bad credentials, offline …) for the sign-in screen.
    public func signIn(serverUrl: String, username: String, password: String) async throws {
        let url = Self.normalized(serverUrl)
        let app = try open(url)
        let me = try await app.signIn(username: username, password: password)
        defaults.set(url, forKey: Keys.server)
        phase = .signedIn(me)
        revision &+= 1
        await reload()
        await registerPushIfNeeded()
        Task { _ = await self.syncNow() }
    }

    /// Signs out and removes this person's data from the device. The core refuses while acts
    /// wait to be sent (`client.unsent_work`), unless `discardPending`.
    public func signOut(discardPending: Bool) async throws {
        let app = try currentApp()
        do {
            try await app.signOut(discardPending: discardPending)
        } catch let error as DubanError {
            if case .SignedOut = error {
                signedOut()
                return
            }
            throw error
        }
        signedOut()
    }

    // MARK: - Sync

    /// Sends what waits and takes in what is new. Being offline is a status, not a failure;
    /// a lost session leads to the sign-in screen; anything else is kept in `failure`.
    @discardableResult
    public func syncNow() async -> SyncSummary? {
        guard let app, me != nil else { return nil }
        do {
            let summary = try await app.syncNow()
            await reload()
            await registerPushIfNeeded()
            return summary
        } catch let error as DubanError {
            note(error)
            return nil
        } catch {
            return nil
        }
    }

    /// A sync for background work (app refresh, a remote notification): skipped while a
    /// backoff after a failure runs.
    public func syncInBackground() async -> BackgroundSyncResult {
        guard let app, me != nil else { return .noData }
        do {
            guard let summary = try await app.syncInBackground() else { return .noData }
            await reload()
            await registerPushIfNeeded()
            let moved = summary.accepted + summary.rejected + summary.events + summary.purged
            return moved > 0 ? .newData : .noData
        } catch let error as DubanError {
            note(error)
            return .failed
        } catch {
            return .failed
        }
    }

    // MARK: - Screens and acts

    /// Re-reads the screens the store keeps. Calls that arrive while a read runs are folded
    /// into one more read after it.
    public func reload() async {
        guard let app, me != nil else { return }
        if reloading {
            reloadAgain = true
            return
        }
        reloading = true
        defer { reloading = false }
        repeat {
            reloadAgain = false
            do {
                let screens = try await offMain { try Screens(app) }
                inbox = screens.inbox
                sync = screens.inbox.sync
                approvals = screens.approvals
                notifications = screens.notifications
                attention = screens.attention
                pending = screens.pending
                categories = screens.categories
            } catch let error as DubanError {
                note(error)
                return
            } catch {
                return
            }
        } while reloadAgain
    }

    /// Reads from the core off the main thread, e.g. `try await store.read { try $0.item(task: id) }`.
    public func read<T>(_ body: @escaping @Sendable (DubanApp) throws -> T) async throws -> T {
        let app = try currentApp()
        do {
            return try await offMain { try body(app) }
        } catch let error as DubanError {
            noteSession(error)
            throw error
        }
    }

    /// Issues an act off the main thread, e.g. `try await store.perform { try $0.receive(task: id) }`:
    /// the core decides it at once (a refusal throws, with its reason), the screens are
    /// re-read, and — unless `sendNow` is false — a sync sends it.
    @discardableResult
    public func perform<T>(
        sendNow: Bool = true,
        _ body: @escaping @Sendable (DubanApp) throws -> T
    ) async throws -> T {
        let app = try currentApp()
        do {
            let value = try await offMain { try body(app) }
            revision &+= 1
            await reload()
            if sendNow {
                Task { _ = await self.syncNow() }
            }
            return value
        } catch let error as DubanError {
            noteSession(error)
            throw error
        }
    }

    /// Turns a camera JPEG into evidence (the core's photo pipeline, off the main thread).
    public func attachPhoto(jpeg: Data, capture: Capture) async throws -> Evidence {
        try await read { try $0.attachPhoto(jpeg: jpeg, capture: capture) }
    }

    /// A cited file's bytes: from the device, else fetched from the server.
    public func file(hash: String) async throws -> FileData {
        let app = try currentApp()
        do {
            return try await app.file(hash: hash)
        } catch let error as DubanError {
            noteSession(error)
            throw error
        }
    }

    /// The category's name (zh-CN, English) by its code, if known.
    public func category(_ code: String) -> CategoryRow? {
        categories.first { $0.code == code }
    }

    // MARK: - Push

    /// The APNs device token (hex), whenever iOS hands it over: registered with the server
    /// for this session (again after a sign-in, and after a failed attempt at the next sync).
    public func pushTokenReceived(_ hexToken: String) async {
        pushToken = hexToken
        await registerPushIfNeeded()
    }

    private func registerPushIfNeeded() async {
        guard let app, me != nil, let token = pushToken, token != registeredPushToken else { return }
        do {
            try await app.registerPush(platform: "ios", provider: "apns", token: token, appVersion: appVersion)
            registeredPushToken = token
        } catch let error as DubanError {
            // Offline: tried again after the next sync. Anything else is not the person's
            // business; the inbox and SMS still reach them.
            noteSession(error)
        } catch {}
    }

    // MARK: - The core's callbacks

    /// The core's sync status callback (any thread).
    nonisolated public func syncChanged(status: SyncStatus) {
        Task { @MainActor [weak self] in
            self?.sync = status
        }
    }

    /// The core's data callback (any thread): re-read.
    nonisolated public func dataChanged() {
        Task { @MainActor [weak self] in
            guard let self else { return }
            self.revision &+= 1
            await self.reload()
        }
    }

    // MARK: - Internals

    private func open(_ url: String) throws -> DubanApp {
        if let app, serverUrl == url { return app }
        relay?.detach()
        observation?.cancel()
        let app = try DubanApp.open(path: try storePath(), serverUrl: url)
        let relay = ObserverRelay(self)
        let observation = app.observe(observer: relay)
        self.app = app
        self.relay = relay
        self.observation = observation
        self.serverUrl = url
        self.sync = app.syncStatus()
        return app
    }

    private func currentApp() throws -> DubanApp {
        guard let app else {
            throw DubanError.SignedOut(code: "client.not_open", zh: "尚未登录", en: "not signed in")
        }
        return app
    }

    private func storePath() throws -> String {
        let dir: URL
        if let directory {
            dir = directory
        } else {
            dir = try FileManager.default
                .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
                .appendingPathComponent("Duban", isDirectory: true)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("store.db").path
    }

    /// A failure of a call whose caller shows it: only a lost session matters here.
    private func noteSession(_ error: DubanError) {
        if case .SignedOut = error { signedOut() }
    }

    /// A failure of the store's own work (sync, re-reading): a lost session signs out;
    /// offline is the status's business; anything else is kept in `failure`.
    private func note(_ error: DubanError) {
        switch error {
        case .SignedOut:
            signedOut()
        case .Offline:
            break
        default:
            failure = error
        }
    }

    private func signedOut() {
        phase = .signedOut
        inbox = nil
        approvals = []
        notifications = []
        attention = []
        pending = 0
        categories = []
        registeredPushToken = nil
        revision &+= 1
    }

    /// `duban.example.gov.cn/` → `https://duban.example.gov.cn`.
    static func normalized(_ url: String) -> String {
        var url = url.trimmingCharacters(in: .whitespacesAndNewlines)
        while url.hasSuffix("/") { url.removeLast() }
        if !url.contains("://") { url = "https://" + url }
        return url
    }
}

extension DubanStore: Observer {}

public extension DubanError {
    /// The stable code.
    var code: String {
        switch self {
        case .SignedOut(let code, _, _), .Offline(let code, _, _), .Rejected(let code, _, _),
             .Invalid(let code, _, _), .Internal(let code, _, _):
            return code
        }
    }

    /// The sentence in Chinese.
    var zh: String {
        switch self {
        case .SignedOut(_, let zh, _), .Offline(_, let zh, _), .Rejected(_, let zh, _),
             .Invalid(_, let zh, _), .Internal(_, let zh, _):
            return zh
        }
    }

    /// The sentence in English.
    var en: String {
        switch self {
        case .SignedOut(_, _, let en), .Offline(_, _, let en), .Rejected(_, _, let en),
             .Invalid(_, _, let en), .Internal(_, _, let en):
            return en
        }
    }
}

/// The screens `DubanStore` keeps, read in one hop to the core's queue.
private struct Screens {
    let inbox: InboxScreen
    let approvals: [InboxRow]
    let notifications: [NotificationRow]
    let attention: [AttentionRow]
    let pending: UInt32
    let categories: [CategoryRow]

    init(_ app: DubanApp) throws {
        inbox = try app.inbox()
        approvals = try app.approvals()
        notifications = try app.notifications()
        attention = try app.attention()
        pending = try app.pendingCount()
        categories = try app.categories()
    }
}

/// What the core holds as its observer: it forwards to the store without keeping it alive
/// (the core keeps it until its `Observation` is cancelled), and stops forwarding once the
/// store opens another `DubanApp` (a different server).
private final class ObserverRelay: Observer, @unchecked Sendable {
    private let lock = NSLock()
    private weak var target: DubanStore?

    init(_ target: DubanStore) {
        self.target = target
    }

    func detach() {
        lock.lock()
        target = nil
        lock.unlock()
    }

    private func current() -> DubanStore? {
        lock.lock()
        defer { lock.unlock() }
        return target
    }

    func syncChanged(status: SyncStatus) {
        current()?.syncChanged(status: status)
    }

    func dataChanged() {
        current()?.dataChanged()
    }
}

/// The one queue blocking calls into the core run on, in order.
private let coreQueue = DispatchQueue(label: "cn.gov.duban.core", qos: .userInitiated)

/// Runs a blocking call into the core on `coreQueue`, off the main thread.
private func offMain<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        coreQueue.async {
            continuation.resume(with: Result { try body() })
        }
    }
}
