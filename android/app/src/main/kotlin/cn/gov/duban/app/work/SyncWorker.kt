// Background sync with WorkManager: every 15 minutes while a network is up, and once more
// after each push.
package cn.gov.duban.app.work

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import cn.gov.duban.app.duban
import java.util.concurrent.TimeUnit
import uniffi.duban_ffi.DubanException

/**
 * One background sync (DubanApp.syncInBackground: it waits out a backoff after a failure,
 * and offline is a status, not a failure). Signed out: nothing to do.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val repo = applicationContext.duban.session.repository() ?: return Result.success()
        return try {
            repo.syncInBackground()
            Result.success()
        } catch (e: DubanException.SignedOut) {
            Result.success()
        } catch (e: DubanException) {
            if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
        }
    }

    companion object {
        private const val PERIODIC = "duban-sync"
        private const val ONCE = "duban-sync-once"
        private const val MAX_ATTEMPTS = 3

        private fun network() = Constraints.Builder()
            .setRequiredNetworkType(NetworkType.CONNECTED)
            .build()

        /** The periodic sync; kept as it is when already scheduled. */
        fun schedulePeriodic(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES)
                .setConstraints(network())
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** One sync soon (after a push): queued behind one already running, not lost. */
        fun enqueueOnce(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(network())
                .build()
            WorkManager.getInstance(context)
                .enqueueUniqueWork(ONCE, ExistingWorkPolicy.APPEND_OR_REPLACE, request)
        }
    }
}
