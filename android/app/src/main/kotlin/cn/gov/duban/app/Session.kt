// Who is signed in to which server, and the one app object of the process.
package cn.gov.duban.app

import android.content.Context
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.push.Push
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Me

/** What the app shows first: nothing yet, the sign-in screen, or the signed-in screens. */
sealed interface SessionState {
    /** The store is being opened. */
    data object Opening : SessionState

    /** Nobody is signed in; [error] says why, when there is something to say. */
    data class SignedOut(val serverUrl: String, val error: DubanException? = null) : SessionState

    /** [me] is signed in; the screens use [repo]. */
    data class SignedIn(val repo: AppRepository, val me: Me) : SessionState
}

/**
 * The process's one [DubanApp] over the store at `filesDir/duban.sqlite`. The store does
 * not remember its server, so the server's address is kept in preferences; the app object
 * is opened for it at start, or at sign-in when the address is new (the old one is closed
 * first: one store, one writer).
 */
class Session(private val context: Context) {
    private val prefs = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)
    private val lock = Mutex()
    private var repo: AppRepository? = null
    private val _state = MutableStateFlow<SessionState>(SessionState.Opening)

    /** The state the screens follow. */
    val state: StateFlow<SessionState> = _state.asStateFlow()

    private val savedUrl: String? get() = prefs.getString(KEY_SERVER, null)

    /** At process start: opens the saved server's store; signed in if it has a person. */
    suspend fun start(): Unit = lock.withLock {
        val url = savedUrl
        if (url == null) {
            _state.value = SessionState.SignedOut(BuildConfig.DEFAULT_SERVER)
            return@withLock
        }
        try {
            val r = openLocked(url)
            val me = r.me()
            _state.value = if (me != null) SessionState.SignedIn(r, me) else SessionState.SignedOut(url)
            if (me != null) Push.register(context)
        } catch (e: DubanException) {
            _state.value = SessionState.SignedOut(url, e)
        }
    }

    /** The opened store for background work (workers, push); none before any sign-in. */
    suspend fun repository(): AppRepository? = lock.withLock {
        repo ?: savedUrl?.let { url ->
            try {
                openLocked(url)
            } catch (e: DubanException) {
                null
            }
        }
    }

    /** Signs in at [serverUrl]; the first sync then runs while the inbox shows it. */
    suspend fun signIn(serverUrl: String, username: String, password: String): Me = lock.withLock {
        val url = normalize(serverUrl)
        val r = openLocked(url)
        val me = r.app.signIn(username.trim(), password)
        prefs.edit().putString(KEY_SERVER, url).apply()
        _state.value = SessionState.SignedIn(r, me)
        r.syncSoon()
        Push.register(context)
        me
    }

    /** Signs out (refused while acts wait to be sent, unless [discardPending]). */
    suspend fun signOut(discardPending: Boolean): Unit = lock.withLock {
        val r = repo ?: return@withLock
        r.signOut(discardPending)
        _state.value = SessionState.SignedOut(r.serverUrl)
    }

    /** The server ended the session (expired or revoked): back to the sign-in screen. */
    fun expired(reason: DubanException) {
        val current = _state.value
        if (current is SessionState.SignedIn) {
            _state.value = SessionState.SignedOut(current.repo.serverUrl, reason)
        }
    }

    private suspend fun openLocked(url: String): AppRepository {
        repo?.let {
            if (it.serverUrl == url) return it
            it.close()
        }
        repo = null
        val path = File(context.filesDir, STORE).path
        val app = withContext(Dispatchers.IO) { DubanApp.open(path, url) }
        return AppRepository(app, url, ::expired).also { repo = it }
    }

    private companion object {
        const val PREFS = "duban"
        const val KEY_SERVER = "server_url"
        const val STORE = "duban.sqlite"

        /** `duban.example.gov.cn/` → `https://duban.example.gov.cn`. */
        fun normalize(url: String): String {
            val trimmed = url.trim().trimEnd('/')
            return if (trimmed.startsWith("http://") || trimmed.startsWith("https://")) trimmed else "https://$trimmed"
        }
    }
}
