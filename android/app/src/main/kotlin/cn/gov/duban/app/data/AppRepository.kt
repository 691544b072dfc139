// The signed-in app as the screens use it. Plain Kotlin (no android.*), like :core, which it
// extends with the reads and acts the app needs beyond DubanRepository.
package cn.gov.duban.app.data

import cn.gov.duban.core.DubanRepository
import cn.gov.duban.core.Screen
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.AttentionRow
import uniffi.duban_ffi.Capture
import uniffi.duban_ffi.CategoryRow
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Evidence
import uniffi.duban_ffi.FileData
import uniffi.duban_ffi.InboxRow
import uniffi.duban_ffi.InboxScreen
import uniffi.duban_ffi.ItemScreen
import uniffi.duban_ffi.Me
import uniffi.duban_ffi.NewItem
import uniffi.duban_ffi.NotificationRow
import uniffi.duban_ffi.PendingRow
import uniffi.duban_ffi.SyncStatus
import uniffi.duban_ffi.SyncSummary
import uniffi.duban_ffi.UnitRow
import uniffi.duban_ffi.composeReply

/**
 * One opened store for one server: the core module's [DubanRepository] (sync status, inbox,
 * change counter) plus every read and act the screens need.
 *
 * An act is decided on the device at once — a refusal throws [DubanException] with the
 * reason — and then sent by a sync in the background, so a screen never waits on the
 * network to show what was done. Whatever changes the store (an act, a sync from a worker
 * or a push) bumps [changes], and the inbox is re-read on it.
 */
class AppRepository(
    /** The core's app object; one per process (see Session). */
    val app: DubanApp,
    /** The server this store syncs with. */
    val serverUrl: String,
    /** Told when the server says the session has ended. */
    private val onSignedOut: (DubanException) -> Unit,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) : AutoCloseable {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The layer the JVM tests cover: flows of the sync status, inbox and changes. */
    val core = DubanRepository(app, io)

    /** How syncing goes. */
    val sync: StateFlow<SyncStatus> get() = core.sync

    /** The inbox screen, kept current. */
    val inbox: StateFlow<Screen<InboxScreen>> get() = core.inbox

    /** Bumped whenever the store may have changed: screens re-read their record on it. */
    val changes: StateFlow<Long> get() = core.changes

    init {
        scope.launch { core.changes.collect { core.refresh() } }
    }

    /** Syncs now; the failure to show, if any (offline is a status, not a failure). */
    suspend fun syncNow(): DubanException? = try {
        core.sync()
        null
    } catch (e: DubanException) {
        signedOutIf(e)
        e
    }

    /** Starts a sync without waiting for it. */
    fun syncSoon() {
        scope.launch { syncNow() }
    }

    /** A sync for background work: none if a backoff after a failure is still running. */
    suspend fun syncInBackground(): SyncSummary? = try {
        app.syncInBackground()
    } catch (e: DubanException) {
        signedOutIf(e)
        throw e
    }

    /** Who is signed in; none when signed out. */
    suspend fun me(): Me? = withContext(io) { app.me() }

    /** One item's screen (none when the item is not, or no longer, on the device). */
    suspend fun item(task: String): Screen<ItemScreen?> = read { app.item(task) }

    /** The items waiting for my approval. */
    suspend fun approvals(): Screen<List<InboxRow>> = read { app.approvals() }

    /** My acts the server refused. */
    suspend fun attention(): Screen<List<AttentionRow>> = read { app.attention() }

    /** The notifications, newest first. */
    suspend fun notifications(): Screen<List<NotificationRow>> = read { app.notifications() }

    /** This device's acts not yet confirmed by the server, oldest first (待发送). */
    suspend fun pending(): Screen<List<PendingRow>> = read { app.pending() }

    /** The organisation's item categories, for the registration form. */
    suspend fun categories(): Screen<List<CategoryRow>> = read { app.categories() }

    /** The organisation's units, for pickers. */
    suspend fun units(): Screen<List<UnitRow>> = read { app.units() }

    /** A cited file's bytes: from the device, else fetched from the server and kept. */
    suspend fun file(hash: String): FileData = app.file(hash)

    /** Marks one notification read (none: all); the receipt goes with the next sync. */
    suspend fun markRead(id: Long?) {
        withContext(io) { app.markRead(id) }
        core.refresh()
    }

    /** Turns a photo into evidence (the core's pipeline: upright, resized, watermarked). */
    suspend fun attachPhoto(jpeg: ByteArray, capture: Capture): Evidence = core.photo(jpeg, capture)

    /** Registers this phone's push token (`fcm`, `hms`, `honor`, `xiaomi`, `oppo`, `vivo`) for the signed-in person. */
    suspend fun registerPush(provider: String, token: String, appVersion: String) {
        try {
            app.registerPush("android", provider, token, appVersion)
        } catch (e: DubanException) {
            signedOutIf(e)
            throw e
        }
    }

    /** Signs out and wipes the person's data; refused while acts wait, unless discarded. */
    suspend fun signOut(discardPending: Boolean) = app.signOut(discardPending)

    /** 签收. */
    suspend fun receive(task: String) = act { app.receive(task) }

    /** 拒签, with the reason. */
    suspend fun decline(task: String, reason: String) = act { app.decline(task, reason) }

    /** 进展汇报: progress 0–100 with evidence. */
    suspend fun reportProgress(task: String, text: String, percent: Int, evidence: List<Evidence>) =
        act { app.reportProgress(task, text, percent.coerceIn(0, 100).toUByte(), evidence) }

    /** 完成汇报 with evidence. */
    suspend fun reportCompletion(task: String, text: String, evidence: List<Evidence>) =
        act { app.reportCompletion(task, text, evidence) }

    /**
     * The sections of the office's reply template for a work order's reply (完成汇报 of a
     * hotline order), in order; empty for any other item, whose report is one text.
     */
    suspend fun replySections(task: String): Screen<List<String>> = read { app.replySections(task) }

    /**
     * A work order's reply: one text per section of its template ([replySections]), sent as
     * the completion report in the form the core checks (`【section】text`, see composeReply).
     */
    suspend fun reply(task: String, sections: List<String>, texts: List<String>, evidence: List<Evidence>) =
        reportCompletion(task, composeReply(sections, texts), evidence)

    /** 退单: a work order dispatched to my unit returned as not ours, with the reason. */
    suspend fun returnOrder(task: String, reason: String) = act { app.returnOrder(task, reason) }

    /** 申请承诺件: a committed deadline for a work order (on the hour, milliseconds since the epoch) and why. */
    suspend fun requestCommitment(task: String, untilMs: Long, reason: String) =
        act { app.requestCommitment(task, untilMs, reason) }

    /** 延时申请: a later deadline (milliseconds since the epoch) and why. */
    suspend fun requestExtension(task: String, untilMs: Long, reason: String) =
        act { app.requestExtension(task, untilMs, reason) }

    /** 暂停申请. */
    suspend fun requestSuspension(task: String, reason: String) =
        act { app.requestSuspension(task, reason) }

    /** 恢复申请. */
    suspend fun requestResumption(task: String, reason: String) =
        act { app.requestResumption(task, reason) }

    /** Decides what waits for my approval; [report] names the report for [Approval.Report]. */
    suspend fun decide(task: String, approval: Approval, approve: Boolean, opinion: String, report: String? = null) =
        act {
            when (approval) {
                Approval.Registration -> app.decideRegistration(task, approve, opinion)
                Approval.Extension -> app.decideExtension(task, approve, opinion)
                Approval.Suspension -> app.decideSuspension(task, approve, opinion)
                Approval.Resumption -> app.decideResumption(task, approve, opinion)
                Approval.Report -> app.decideReport(
                    task,
                    requireNotNull(report) { "a report decision names its report" },
                    approve,
                    opinion,
                )
            }
        }

    /** 复核: accept, or return for rework with an optional new deadline. */
    suspend fun review(task: String, accept: Boolean, opinion: String, newDeadlineMs: Long?) =
        act { app.review(task, accept, opinion, newDeadlineMs) }

    /** 领导评价, 1–5 stars. */
    suspend fun rate(task: String, stars: Int, opinion: String) =
        act { app.rate(task, stars.coerceIn(1, 5).toUByte(), opinion) }

    /** 批示. */
    suspend fun instruct(task: String, text: String) = act { app.instruct(task, text) }

    /** 评论, or a reply to the note of a trail step. */
    suspend fun comment(task: String, text: String, replyTo: String?) =
        act { app.comment(task, text, replyTo) }

    /** 关注. */
    suspend fun follow(task: String) = act { app.follow(task) }

    /** 取消关注. */
    suspend fun unfollow(task: String) = act { app.unfollow(task) }

    /**
     * 立项登记: a problem found on site, with its "before" photos as attachments. Returns the
     * new item's id; the server gives it its number when the registration reaches it.
     */
    suspend fun registerItem(item: NewItem): String = act { app.registerItem(item) }

    /** 分解: a sub-item of [task] led by [leadUnit], due by [deadlineMs] if given. Returns its id. */
    suspend fun decompose(task: String, title: String, content: String, leadUnit: String, deadlineMs: Long?): String =
        act { app.decompose(task, title, content, leadUnit, null, deadlineMs) }

    /** Gives up a refused act. */
    suspend fun discard(id: String) {
        withContext(io) { app.discard(id) }
        core.refresh()
    }

    /** Sends a refused act again. */
    suspend fun resubmit(id: String) = act { app.resubmit(id) }

    /** Stops following the store; the app object is closed. */
    override fun close() {
        scope.cancel()
        app.close()
    }

    private fun signedOutIf(e: DubanException) {
        if (e is DubanException.SignedOut) onSignedOut(e)
    }

    private suspend fun <T> read(body: () -> T): Screen<T> = withContext(io) {
        try {
            Screen.Ready(body())
        } catch (e: DubanException) {
            signedOutIf(e)
            Screen.Failed(e)
        }
    }

    private suspend fun act(body: () -> String): String {
        val id = try {
            withContext(io) { body() }
        } catch (e: DubanException) {
            signedOutIf(e)
            throw e
        }
        core.refresh()
        syncSoon()
        return id
    }
}
