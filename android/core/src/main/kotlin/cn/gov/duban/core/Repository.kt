// The app's data layer over the generated bindings, in plain Kotlin (no android.*): the
// Android app's view models and any other JVM client use it. The store and sync live in the
// Rust core; this layer only calls it off the caller's thread and publishes what changed as
// flows, so a screen re-reads its one record whenever something may have changed it.
package cn.gov.duban.core

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.Capture
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Evidence
import uniffi.duban_ffi.InboxScreen
import uniffi.duban_ffi.ItemScreen
import uniffi.duban_ffi.Me
import uniffi.duban_ffi.Observation
import uniffi.duban_ffi.Observer
import uniffi.duban_ffi.SyncStatus
import uniffi.duban_ffi.SyncSummary

/** What a screen shows: loading, the record, or the error to explain. */
sealed interface Screen<out T> {
    /** Not read yet. */
    data object Loading : Screen<Nothing>

    /** The record. */
    data class Ready<T>(val value: T) : Screen<T>

    /** Why it could not be read (a code and both languages). */
    data class Failed(val error: DubanException) : Screen<Nothing>
}

/**
 * One signed-in app: [DubanApp] behind suspend functions and state flows. The sync status
 * and the change counter follow the core's [Observer] calls; every act and sync re-reads
 * the inbox.
 */
class DubanRepository(
    private val app: DubanApp,
    private val io: CoroutineDispatcher = Dispatchers.IO,
) {
    private val _sync = MutableStateFlow(app.syncStatus())
    private val _inbox = MutableStateFlow<Screen<InboxScreen>>(Screen.Loading)
    private val _changes = MutableStateFlow(0L)

    /** How syncing goes. */
    val sync: StateFlow<SyncStatus> = _sync.asStateFlow()

    /** The inbox screen. */
    val inbox: StateFlow<Screen<InboxScreen>> = _inbox.asStateFlow()

    /** Bumped whenever the store may have changed: item screens re-read on it. */
    val changes: StateFlow<Long> = _changes.asStateFlow()

    // The core tells of every status change and data change, from its own thread; state
    // flows are safe to set from any thread.
    private val observation: Observation = app.observe(object : Observer {
        override fun syncChanged(status: SyncStatus) {
            _sync.value = status
        }

        override fun dataChanged() {
            _changes.value = _changes.value + 1
        }
    })

    /** Stops following the core's changes (the flows keep their last values). */
    fun close() = observation.cancel()

    /** Signs in and runs the first sync. */
    suspend fun signIn(username: String, password: String): Me {
        val me = app.signIn(username, password)
        sync()
        return me
    }

    /** Sends what waits and takes in what is new; offline is a state, not a failure. */
    suspend fun sync(): SyncSummary? {
        val summary = try {
            app.syncNow()
        } catch (e: DubanException.Offline) {
            null
        }
        refresh()
        return summary
    }

    /** Re-reads the inbox. */
    suspend fun refresh() {
        _inbox.value = read { app.inbox() }
    }

    /** One item's screen. */
    suspend fun item(task: String): Screen<ItemScreen?> = read { app.item(task) }

    /** Receives an item (签收). */
    suspend fun receive(task: String) = act { app.receive(task) }

    /** Turns a camera capture into evidence. */
    suspend fun photo(jpeg: ByteArray, capture: Capture): Evidence =
        withContext(io) { app.attachPhoto(jpeg, capture) }

    /** Reports completion with evidence. */
    suspend fun reportCompletion(task: String, text: String, evidence: List<Evidence>) =
        act { app.reportCompletion(task, text, evidence) }

    /** Approves or refuses a pending extension. */
    suspend fun decideExtension(task: String, approve: Boolean, opinion: String) =
        act { app.decideExtension(task, approve, opinion) }

    /** Rates the work. */
    suspend fun rate(task: String, stars: UByte, opinion: String) =
        act { app.rate(task, stars, opinion) }

    private suspend fun <T> read(body: () -> T): Screen<T> = withContext(io) {
        try {
            Screen.Ready(body())
        } catch (e: DubanException) {
            Screen.Failed(e)
        }
    }

    /** An act is decided on the device at once (a refusal throws), shown, and sent. */
    private suspend fun act(body: () -> String): String {
        val id = withContext(io) { body() }
        refresh()
        sync()
        return id
    }
}

/** The inbox as the screen shows it: rows, unread count, sync status, kept current. */
class InboxViewModel(private val repo: DubanRepository) {
    /** The screen. */
    val screen: StateFlow<Screen<InboxScreen>> = repo.inbox

    /** The status bar. */
    val sync: StateFlow<SyncStatus> = repo.sync

    /** Pull to refresh. */
    suspend fun pull() {
        repo.sync()
    }
}
