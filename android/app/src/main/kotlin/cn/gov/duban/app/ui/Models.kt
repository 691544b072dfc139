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
import cn.gov.duban.app.data.Category
import cn.gov.duban.app.data.firstUnanswered
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
import uniffi.duban_ffi.CategoryRow
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Duty
import uniffi.duban_ffi.Evidence
import uniffi.duban_ffi.InboxRow
import uniffi.duban_ffi.InboxScreen
import uniffi.duban_ffi.ItemScreen
import uniffi.duban_ffi.NewItem
import uniffi.duban_ffi.NotificationRow
import uniffi.duban_ffi.PendingRow
import uniffi.duban_ffi.Urgency
import uniffi.duban_ffi.PhotoPairRow
import uniffi.duban_ffi.ReportKind
import uniffi.duban_ffi.ReportRow
import uniffi.duban_ffi.ReportStatus
import uniffi.duban_ffi.SyncStatus
import uniffi.duban_ffi.UnitRow

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
    private val _units = MutableStateFlow<Screen<List<UnitRow>>>(Screen.Loading)

    /** The organisation's units, once asked for (the decomposition's picker). */
    val units: StateFlow<Screen<List<UnitRow>>> = _units.asStateFlow()

    init {
        watch()
    }

    /** Reads the units for the decomposition's picker. */
    fun loadUnits() {
        viewModelScope.launch { _units.value = repo.units() }
    }

    override suspend fun read() = repo.item(task)

    fun receive() = act(R.string.done_received) { repo.receive(task) }

    fun decline(reason: String) = act(R.string.done_declined) { repo.decline(task, reason) }

    /** 退单: the work order is not my unit's; the hotline office transfers it. */
    fun returnOrder(reason: String) = act(R.string.done_returned) { repo.returnOrder(task, reason) }

    /** 申请承诺件: a committed deadline on the hour; the hotline office decides. */
    fun requestCommitment(untilMs: Long, reason: String) =
        act(R.string.done_requested) { repo.requestCommitment(task, untilMs, reason) }

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

    fun decompose(title: String, content: String, leadUnit: String, deadlineMs: Long?) =
        act(R.string.done_decomposed) { repo.decompose(task, title, content, leadUnit, deadlineMs) }
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
                        .filter { it.status == ReportStatus.PENDING_APPROVAL }
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

/** Where the phone is, as camera photos will carry it: the fix, whether one is being taken, the place's name. */
data class FieldFix(
    val location: Location? = null,
    val locating: Boolean = false,
    val place: String = "",
)

/**
 * A form with photos from the field (a report, a registration): the phone's fix and the
 * place's name, and each photo turned into evidence by the core's pipeline at once.
 */
abstract class FieldModel(protected val repo: AppRepository, private val locator: Locator) : ActingModel() {
    private val _fix = MutableStateFlow(FieldFix())
    private val _processing = MutableStateFlow(0)

    /** Where the phone is. */
    val fix: StateFlow<FieldFix> = _fix.asStateFlow()

    /** Photos still going through the pipeline. */
    val processing: StateFlow<Int> = _processing.asStateFlow()

    fun place(value: String) = _fix.update { it.copy(place = value) }

    /** Takes a fix (the permission is the screen's to ask), and the place's name if known. */
    fun locate() {
        if (_fix.value.locating) return
        viewModelScope.launch {
            _fix.update { it.copy(locating = true) }
            val location = locator.current()
            val place = location?.let { locator.placeName(it) }
            _fix.update {
                it.copy(
                    location = location ?: it.location,
                    locating = false,
                    place = if (it.place.isBlank() && place != null) place else it.place,
                )
            }
        }
    }

    /** The camera failed; says so. */
    fun cameraFailed() = tell(Notice.Info(R.string.camera_failed))

    /**
     * How a photo was taken. A camera photo carries the phone's fix and place and, for an
     * "after" photo, the hash of the "before" photo it [answers]; a gallery photo none of
     * them (it was taken elsewhere, earlier).
     */
    protected fun capture(fromCamera: Boolean, task: String?, answers: String?): Capture {
        val fix = _fix.value
        return Capture(
            fromCamera = fromCamera,
            utcOffsetMinutes = TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 60_000,
            latitude = if (fromCamera) fix.location?.latitude else null,
            longitude = if (fromCamera) fix.location?.longitude else null,
            place = if (fromCamera) fix.place.trim().ifEmpty { null } else null,
            task = task,
            answers = if (fromCamera) answers else null,
        )
    }

    /** Turns [jpeg] into evidence for [onEvidence]; a refusal is told, and [onFailed] runs. */
    protected fun attach(jpeg: ByteArray, capture: Capture, onFailed: () -> Unit = {}, onEvidence: (Evidence) -> Unit) {
        _processing.update { it + 1 }
        viewModelScope.launch {
            try {
                onEvidence(repo.attachPhoto(jpeg, capture))
            } catch (e: DubanException) {
                onFailed()
                tell(Notice.Failed(e))
            } finally {
                _processing.update { it - 1 }
            }
        }
    }
}

/** A photo of a report, with the hash of the "before" photo it answers, if any. */
data class ReportPhoto(val evidence: Evidence, val answers: String?)

/**
 * The report being written: its text (or, for a work order's reply, one text per section of
 * the office's template), progress and photos, and what the photos answer.
 */
data class ReportDraft(
    val text: String = "",
    /** A work order's reply template (the core's `reply_sections`); empty: one free text. */
    val sections: List<String> = emptyList(),
    /** The text of each of [sections], in order. */
    val sectionTexts: List<String> = emptyList(),
    val percent: Int = 0,
    val photos: List<ReportPhoto> = emptyList(),
    /** The item's "before" photos, each with the "after" photos that answer it. */
    val pairs: List<PhotoPairRow> = emptyList(),
    /** The "before" photo (its hash) the next camera photo answers; none: it answers none. */
    val answering: String? = null,
    /** What the photos taken and being processed answer (hashes, one per photo). */
    val answered: List<String> = emptyList(),
) {
    /** Something is written: the text, or every section of the template. */
    val written: Boolean
        get() = if (sections.isEmpty()) {
            text.isNotBlank()
        } else {
            sectionTexts.size == sections.size && sectionTexts.all { it.isNotBlank() }
        }
}

/**
 * A progress or completion report with photos from the camera or the gallery. Where the
 * item has "before" photos (a rectification), each camera photo answers the one chosen,
 * by default the first that nothing answers yet.
 */
class ReportModel(
    repo: AppRepository,
    locator: Locator,
    val task: String,
    /** Progress or completion. */
    val kind: ReportKind,
) : FieldModel(repo, locator) {
    private val _draft = MutableStateFlow(ReportDraft())
    private val _sent = MutableStateFlow(false)

    /** The draft. */
    val draft: StateFlow<ReportDraft> = _draft.asStateFlow()

    /** The report was issued: the screen closes. */
    val sent: StateFlow<Boolean> = _sent.asStateFlow()

    init {
        viewModelScope.launch {
            val item = repo.item(task).valueOrNull()
            val progress = item?.item?.progress?.toInt() ?: 0
            val pairs = item?.photoPairs.orEmpty()
            // A work order's reply follows the office's template, section by section.
            val sections = if (kind == ReportKind.COMPLETION) repo.replySections(task).valueOrNull().orEmpty() else emptyList()
            _draft.update {
                it.copy(
                    percent = progress,
                    pairs = pairs,
                    answering = firstUnanswered(pairs, it.answered),
                    sections = sections,
                    sectionTexts = List(sections.size) { i -> it.sectionTexts.getOrElse(i) { "" } },
                )
            }
        }
    }

    fun text(value: String) = _draft.update { it.copy(text = value) }

    /** The text of the template's section [index]. */
    fun sectionText(index: Int, value: String) = _draft.update { d ->
        d.copy(sectionTexts = d.sectionTexts.mapIndexed { i, t -> if (i == index) value else t })
    }

    fun percent(value: Int) = _draft.update { it.copy(percent = value.coerceIn(0, 100)) }

    /** The next camera photo answers the "before" photo [hash]; none: it answers none. */
    fun answer(hash: String?) = _draft.update { it.copy(answering = hash) }

    /**
     * Turns a photo into evidence through the core's pipeline. A camera photo answers the
     * "before" photo chosen, and the choice moves on to the next unanswered one.
     */
    fun addPhoto(jpeg: ByteArray, fromCamera: Boolean) {
        var answers: String? = null
        if (fromCamera) {
            _draft.update { d ->
                answers = d.answering
                val taken = d.answered + listOfNotNull(d.answering)
                d.copy(answered = taken, answering = firstUnanswered(d.pairs, taken))
            }
        }
        val chosen = answers
        attach(
            jpeg,
            capture(fromCamera, task, chosen),
            onFailed = { if (chosen != null) _draft.update { it.copy(answered = it.answered - chosen) } },
        ) { evidence ->
            _draft.update { it.copy(photos = it.photos + ReportPhoto(evidence, chosen)) }
        }
    }

    fun removePhoto(photo: ReportPhoto) = _draft.update { d ->
        d.copy(
            photos = d.photos - photo,
            answered = photo.answers?.let { d.answered - it } ?: d.answered,
        )
    }

    /** Issues the report (decided on the device at once, sent in the background). */
    fun send() {
        val draft = _draft.value
        val evidence = draft.photos.map { it.evidence }
        act(R.string.done_reported, then = { _sent.value = true }) {
            if (kind == ReportKind.COMPLETION && draft.sections.isNotEmpty()) {
                repo.reply(task, draft.sections, draft.sectionTexts.map { it.trim() }, evidence)
            } else if (kind == ReportKind.COMPLETION) {
                repo.reportCompletion(task, draft.text.trim(), evidence)
            } else {
                repo.reportProgress(task, draft.text.trim(), draft.percent, evidence)
            }
        }
    }
}

/** The registration being filled in. */
data class RegisterDraft(
    /** The category's code; none until one is chosen. */
    val category: String? = null,
    /** The values typed for the category's required attributes, by attribute. */
    val attributes: Map<String, String> = emptyMap(),
    val title: String = "",
    val content: String = "",
    val urgency: Urgency = Urgency.NORMAL,
    val withDeadline: Boolean = false,
    val deadlineMs: Long? = null,
    /** Public (true) or internal. */
    val isPublic: Boolean = false,
    /** The "before" photos. */
    val photos: List<Evidence> = emptyList(),
)

/** 现场发现问题登记: a problem found on site, with its "before" photos from the camera. */
class RegisterModel(repo: AppRepository, locator: Locator) : FieldModel(repo, locator) {
    private val _categories = MutableStateFlow<Screen<List<CategoryRow>>>(Screen.Loading)
    private val _draft = MutableStateFlow(RegisterDraft())
    private val _registered = MutableStateFlow<String?>(null)

    /** The categories to choose from (re-read as syncs bring the organisation's). */
    val categories: StateFlow<Screen<List<CategoryRow>>> = _categories.asStateFlow()

    /** The draft. */
    val draft: StateFlow<RegisterDraft> = _draft.asStateFlow()

    /** The new item's id once registered: the screen opens it. */
    val registered: StateFlow<String?> = _registered.asStateFlow()

    init {
        viewModelScope.launch {
            repo.changes.collect {
                val read = repo.categories()
                _categories.value = read
                if (read is Screen.Ready) {
                    val rectification = read.value.firstOrNull { c -> c.code == Category.RECTIFICATION }?.code
                    _draft.update { d -> if (d.category == null) d.copy(category = rectification) else d }
                }
            }
        }
    }

    fun category(code: String) = _draft.update { it.copy(category = code) }

    fun attribute(key: String, value: String) = _draft.update { it.copy(attributes = it.attributes + (key to value)) }

    fun title(value: String) = _draft.update { it.copy(title = value) }

    fun content(value: String) = _draft.update { it.copy(content = value) }

    fun urgency(value: Urgency) = _draft.update { it.copy(urgency = value) }

    fun withDeadline(on: Boolean) = _draft.update { it.copy(withDeadline = on) }

    fun deadline(ms: Long?) = _draft.update { it.copy(deadlineMs = ms) }

    fun setPublic(on: Boolean) = _draft.update { it.copy(isPublic = on) }

    /** A camera photo of the problem, for no item yet. */
    fun addPhoto(jpeg: ByteArray) {
        attach(jpeg, capture(fromCamera = true, task = null, answers = null)) { evidence ->
            _draft.update { it.copy(photos = it.photos + evidence) }
        }
    }

    fun removePhoto(evidence: Evidence) = _draft.update { it.copy(photos = it.photos - evidence) }

    /** Registers the item (decided on the device at once, sent in the background). */
    fun register() {
        val draft = _draft.value
        val category = _categories.value.valueOrNull()?.firstOrNull { it.code == draft.category } ?: return
        val item = NewItem(
            category.code,
            draft.title.trim(),
            draft.content.trim(),
            draft.urgency,
            if (draft.withDeadline) draft.deadlineMs else null,
            draft.isPublic,
            category.requiredAttributes.associateWith { draft.attributes[it].orEmpty().trim() },
            draft.photos,
        )
        act(null) { _registered.value = repo.registerItem(item) }
    }
}

/** An act waiting to be sent, with the title of its item when the item is on the device. */
data class PendingEntry(val row: PendingRow, val title: String?)

/** 待发送: this device's acts the server has not confirmed yet, and sync now. */
class PendingModel(repo: AppRepository) : ReadingModel<List<PendingEntry>>(repo) {
    private val _syncing = MutableStateFlow(false)

    /** The status bar. */
    val sync: StateFlow<SyncStatus> = repo.sync

    /** A sync asked for here is under way. */
    val syncing: StateFlow<Boolean> = _syncing.asStateFlow()

    init {
        watch()
    }

    override suspend fun read(): Screen<List<PendingEntry>> {
        val rows = when (val r = repo.pending()) {
            is Screen.Ready -> r.value
            is Screen.Failed -> return Screen.Failed(r.error)
            Screen.Loading -> return Screen.Loading
        }
        val titles = rows.map { it.task }.distinct().associateWith { repo.item(it).valueOrNull()?.item?.title }
        return Screen.Ready(rows.map { PendingEntry(it, titles[it.task]) })
    }

    /** Sends what waits now; a failure is told (offline shows in the status bar). */
    fun syncNow() {
        if (_syncing.value) return
        viewModelScope.launch {
            _syncing.value = true
            val failure = repo.syncNow()
            _syncing.value = false
            if (failure != null && failure !is DubanException.SignedOut) tell(Notice.Failed(failure))
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
