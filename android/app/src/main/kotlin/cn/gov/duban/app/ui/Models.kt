// The screens' view models: each reads its records through the AppRepository, re-reads
// them whenever the store changes, and runs acts with a busy flag and a notice.
package cn.gov.duban.app.ui

import android.location.Location
import androidx.annotation.StringRes
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import cn.gov.duban.app.R
import cn.gov.duban.app.Session
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.Approval
import cn.gov.duban.app.data.Duty
import cn.gov.duban.app.data.Report
import cn.gov.duban.app.device.Locator
import cn.gov.duban.core.InboxViewModel
import cn.gov.duban.core.Screen
import java.util.TimeZone
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.receiveAsFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.duban_ffi.AttentionRow
import uniffi.duban_ffi.Capture
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Evidence
import uniffi.duban_ffi.InboxRow
import uniffi.duban_ffi.InboxScreen
import uniffi.duban_ffi.ItemScreen
import uniffi.duban_ffi.NotificationRow
import uniffi.duban_ffi.ReportRow
import uniffi.duban_ffi.SyncStatus

/** Acts with a busy flag, telling how each went as a [Notice]. */
abstract class ActingModel : ViewModel() {
    private val _notices = Channel<Notice>(Channel.BUFFERED)
    private val _busy = MutableStateFlow(false)

    /** Notices to show once each. */
    val notices: Flow<Notice> = _notices.receiveAsFlow()

    /** An act is under way. */
    val busy: StateFlow<Boolean> = _busy.asStateFlow()

    /** Runs [block]; tells [done] when it succeeds, or the core's reason when refused. */
    protected fun act(@StringRes done: Int?, then: () -> Unit = {}, block: suspend () -> Unit) {
        viewModelScope.launch {
            _busy.value = true
            try {
                block()
                if (done != null) _notices.send(Notice.Info(done))
                then()
            } catch (e: DubanException) {
                _notices.send(Notice.Failed(e))
            } finally {
                _busy.value = false
            }
        }
    }

    /** Tells [notice] without an act. */
    protected fun tell(notice: Notice) {
        _notices.trySend(notice)
    }
}

/** A record that is re-read whenever the store changes. */
abstract class ReadingModel<T>(protected val repo: AppRepository) : ActingModel() {
    private val _screen = MutableStateFlow<Screen<T>>(Screen.Loading)

    /** The record. */
    val screen: StateFlow<Screen<T>> = _screen.asStateFlow()

    /** Reads the record. */
    protected abstract suspend fun read(): Screen<T>

    /** Reads on every change of the store, from now on; call at the end of init. */
    protected fun watch() {
        viewModelScope.launch { repo.changes.collect { _screen.value = read() } }
    }

    /** Reads again now (for what changes a record without changing the store's items). */
    protected fun reload() {
        viewModelScope.launch { _screen.value = read() }
    }
}

/** The record, if it was read. */
fun <T> Screen<T>.valueOrNull(): T? = when (this) {
    is Screen.Ready -> value
    else -> null
}

/** The inbox: the core's InboxViewModel's flows, and pull to refresh. */
class InboxModel(private val repo: AppRepository) : ActingModel() {
    private val inner = InboxViewModel(repo.core)
    private val _refreshing = MutableStateFlow(false)

    /** The inbox screen. */
    val screen: StateFlow<Screen<InboxScreen>> = inner.screen

    /** The status bar. */
    val sync: StateFlow<SyncStatus> = inner.sync

    /** A pull is under way. */
    val refreshing: StateFlow<Boolean> = _refreshing.asStateFlow()

    /** Pull to refresh: sync now; a failure is told (offline shows in the status bar). */
    fun pull() {
        viewModelScope.launch {
            _refreshing.value = true
            val failure = repo.syncNow()
            _refreshing.value = false
            if (failure != null && failure !is DubanException.SignedOut) tell(Notice.Failed(failure))
        }
    }
}

/** One item: its screen and every act on it. */
class ItemModel(repo: AppRepository, val task: String) : ReadingModel<ItemScreen?>(repo) {
    init {
        watch()
    }

    override suspend fun read() = repo.item(task)

    fun receive() = act(R.string.done_received) { repo.receive(task) }

    fun decline(reason: String) = act(R.string.done_declined) { repo.decline(task, reason) }

    fun requestExtension(untilMs: Long, reason: String) =
        act(R.string.done_requested) { repo.requestExtension(task, untilMs, reason) }

    fun requestSuspension(reason: String) = act(R.string.done_requested) { repo.requestSuspension(task, reason) }

    fun requestResumption(reason: String) = act(R.string.done_requested) { repo.requestResumption(task, reason) }

    fun decide(approval: Approval, approve: Boolean, opinion: String, report: String? = null) =
        act(R.string.done_decided) { repo.decide(task, approval, approve, opinion, report) }

    fun review(accept: Boolean, opinion: String, newDeadlineMs: Long?) =
        act(R.string.done_reviewed) { repo.review(task, accept, opinion, newDeadlineMs) }

    fun rate(stars: Int, opinion: String) = act(R.string.done_rated) { repo.rate(task, stars, opinion) }

    fun instruct(text: String) = act(R.string.done_instructed) { repo.instruct(task, text) }

    fun comment(text: String, replyTo: String?) = act(R.string.done_commented) { repo.comment(task, text, replyTo) }

    fun follow(on: Boolean) = act(if (on) R.string.done_followed else R.string.done_unfollowed) {
        if (on) repo.follow(task) else repo.unfollow(task)
    }
}

/** An approval waiting for me, with the reports it concerns (for report approvals). */
data class ApprovalEntry(val row: InboxRow, val reports: List<ReportRow>)

/** The approvals list. */
class ApprovalsModel(repo: AppRepository) : ReadingModel<List<ApprovalEntry>>(repo) {
    init {
        watch()
    }

    override suspend fun read(): Screen<List<ApprovalEntry>> {
        val rows = when (val r = repo.approvals()) {
            is Screen.Ready -> r.value
            is Screen.Failed -> return Screen.Failed(r.error)
            Screen.Loading -> return Screen.Loading
        }
        return Screen.Ready(
            rows.map { row ->
                val reports = if (row.duties.any { it.duty == Duty.APPROVE_REPORT }) {
                    repo.item(row.item.id).valueOrNull()?.reports.orEmpty()
                        .filter { it.status == Report.PENDING_APPROVAL }
                } else {
                    emptyList()
                }
                ApprovalEntry(row, reports)
            },
        )
    }

    fun decide(task: String, approval: Approval, approve: Boolean, opinion: String, report: String?) =
        act(R.string.done_decided) { repo.decide(task, approval, approve, opinion, report) }
}

/** A refused act, with the title of its item when the item is still on the device. */
data class AttentionEntry(val row: AttentionRow, val title: String?)

/** The needs-attention list. */
class AttentionModel(repo: AppRepository) : ReadingModel<List<AttentionEntry>>(repo) {
    init {
        watch()
    }

    override suspend fun read(): Screen<List<AttentionEntry>> {
        val rows = when (val r = repo.attention()) {
            is Screen.Ready -> r.value
            is Screen.Failed -> return Screen.Failed(r.error)
            Screen.Loading -> return Screen.Loading
        }
        return Screen.Ready(
            rows.map { row -> AttentionEntry(row, repo.item(row.task).valueOrNull()?.item?.title) },
        )
    }

    fun discard(id: String) = act(R.string.done_discarded) { repo.discard(id) }

    fun resubmit(id: String) = act(R.string.done_resubmitted) { repo.resubmit(id) }
}

/** The notifications list. */
class NotificationsModel(repo: AppRepository) : ReadingModel<List<NotificationRow>>(repo) {
    init {
        watch()
    }

    override suspend fun read() = repo.notifications()

    /** Marks one read (none: all), then re-reads the list. */
    fun markRead(id: Long?) = act(null, then = { reload() }) { repo.markRead(id) }
}

/** The report being written: its text, progress, photos and the phone's position. */
data class ReportDraft(
    val text: String = "",
    val percent: Int = 0,
    val photos: List<Evidence> = emptyList(),
    val processing: Int = 0,
    val location: Location? = null,
    val locating: Boolean = false,
    val place: String = "",
)

/** A progress or completion report with photos from the camera or the gallery. */
class ReportModel(
    private val repo: AppRepository,
    private val locator: Locator,
    val task: String,
    /** [Report.PROGRESS] or [Report.COMPLETION]. */
    val kind: String,
) : ActingModel() {
    private val _draft = MutableStateFlow(ReportDraft())
    private val _sent = MutableStateFlow(false)

    /** The draft. */
    val draft: StateFlow<ReportDraft> = _draft.asStateFlow()

    /** The report was issued: the screen closes. */
    val sent: StateFlow<Boolean> = _sent.asStateFlow()

    init {
        viewModelScope.launch {
            val progress = repo.item(task).valueOrNull()?.item?.progress?.toInt() ?: 0
            _draft.update { it.copy(percent = progress) }
        }
    }

    fun text(value: String) = _draft.update { it.copy(text = value) }

    fun percent(value: Int) = _draft.update { it.copy(percent = value.coerceIn(0, 100)) }

    fun place(value: String) = _draft.update { it.copy(place = value) }

    /** Takes a fix (the permission is the screen's to ask), and the place's name if known. */
    fun locate() {
        if (_draft.value.locating) return
        viewModelScope.launch {
            _draft.update { it.copy(locating = true) }
            val location = locator.current()
            val place = location?.let { locator.placeName(it) }
            _draft.update {
                it.copy(
                    location = location ?: it.location,
                    locating = false,
                    place = if (it.place.isBlank() && place != null) place else it.place,
                )
            }
        }
    }

    /**
     * Turns a photo into evidence through the core's pipeline. A camera photo carries the
     * phone's fix and place; a gallery photo neither (it was taken elsewhere, earlier).
     */
    fun addPhoto(jpeg: ByteArray, fromCamera: Boolean) {
        val draft = _draft.value
        val capture = Capture(
            fromCamera = fromCamera,
            utcOffsetMinutes = TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 60_000,
            latitude = if (fromCamera) draft.location?.latitude else null,
            longitude = if (fromCamera) draft.location?.longitude else null,
            place = if (fromCamera) draft.place.trim().ifEmpty { null } else null,
            task = task,
            answers = null,
        )
        _draft.update { it.copy(processing = it.processing + 1) }
        viewModelScope.launch {
            try {
                val evidence = repo.attachPhoto(jpeg, capture)
                _draft.update { it.copy(photos = it.photos + evidence) }
            } catch (e: DubanException) {
                tell(Notice.Failed(e))
            } finally {
                _draft.update { it.copy(processing = it.processing - 1) }
            }
        }
    }

    /** The camera failed; says so. */
    fun cameraFailed() = tell(Notice.Info(R.string.camera_failed))

    fun removePhoto(evidence: Evidence) = _draft.update { it.copy(photos = it.photos - evidence) }

    /** Issues the report (decided on the device at once, sent in the background). */
    fun send() {
        val draft = _draft.value
        act(R.string.done_reported, then = { _sent.value = true }) {
            if (kind == Report.COMPLETION) {
                repo.reportCompletion(task, draft.text.trim(), draft.photos)
            } else {
                repo.reportProgress(task, draft.text.trim(), draft.percent, draft.photos)
            }
        }
    }
}

/** The sign-in form. */
class SignInModel(private val session: Session, serverUrl: String) : ViewModel() {
    private val _busy = MutableStateFlow(false)
    private val _error = MutableStateFlow<DubanException?>(null)

    /** The server's address as typed. */
    val serverUrl = MutableStateFlow(serverUrl)

    /** The account name as typed. */
    val username = MutableStateFlow("")

    /** The password as typed. */
    val password = MutableStateFlow("")

    /** Signing in. */
    val busy: StateFlow<Boolean> = _busy.asStateFlow()

    /** Why the last try failed. */
    val error: StateFlow<DubanException?> = _error.asStateFlow()

    fun signIn() {
        if (_busy.value) return
        viewModelScope.launch {
            _busy.value = true
            _error.value = null
            try {
                session.signIn(serverUrl.value, username.value, password.value)
                password.value = ""
            } catch (e: DubanException) {
                _error.value = e
            } finally {
                _busy.value = false
            }
        }
    }
}
