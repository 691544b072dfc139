// The process: one session (one app object over the store), the notification channel and
// the periodic background sync.
package cn.gov.duban.app

import android.app.Application
import android.content.Context
import android.os.Build
import cn.gov.duban.app.push.Notifier
import cn.gov.duban.app.work.SyncWorker
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

/** Holds what lives as long as the process: the [Session] and a scope for its work. */
class DubanApplication : Application() {
    /** Work that outlives any screen (opening the store, registering for push). */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** The one session of the process. */
    val session: Session by lazy { Session(this) }

    override fun onCreate() {
        super.onCreate()
        // A push SDK's helper process must not open the store a second time.
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P && Application.getProcessName() != packageName) return
        Notifier.createChannel(this)
        SyncWorker.schedulePeriodic(this)
        scope.launch { session.start() }
    }
}

/** The application object, from any context of the app. */
val Context.duban: DubanApplication
    get() = applicationContext as DubanApplication
