// Push registration: which service this phone uses, its token, and handing the token to the
// server (DubanApp.registerPush) once someone is signed in.
package cn.gov.duban.app.push

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import cn.gov.duban.app.BuildConfig
import cn.gov.duban.app.duban
import com.google.android.gms.common.GoogleApiAvailability
import com.google.firebase.messaging.FirebaseMessaging
import com.huawei.hms.aaid.HmsInstanceId
import com.huawei.hms.api.HuaweiApiAvailability
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.tasks.await
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.DubanException
import com.google.android.gms.common.ConnectionResult as GmsResult
import com.huawei.hms.api.ConnectionResult as HmsResult

/** A push service, by the code the server knows it by. */
enum class PushProvider(val code: String) {
    /** Firebase Cloud Messaging: phones with Google Play services. */
    Fcm("fcm"),

    /** HMS Push Kit: Huawei phones, which in China mostly lack Google Play services. */
    Hms("hms"),
    ;

    /** The current token; none when the service hands it over later (onNewToken). */
    suspend fun token(context: Context): String? = when (this) {
        Fcm -> FirebaseMessaging.getInstance().token.await()
        Hms -> withContext(Dispatchers.IO) {
            // Blocking, and never on the main thread.
            HmsInstanceId.getInstance(context).getToken(BuildConfig.HMS_APP_ID, HMS_SCOPE)
        }
    }?.takeIf { it.isNotEmpty() }

    companion object {
        private const val HMS_SCOPE = "HCM"

        /**
         * The service for this phone: FCM where Google Play services are available, else
         * HMS; none when neither is configured in this build (the in-app inbox and SMS still
         * reach the person).
         */
        fun choose(context: Context): PushProvider? = when {
            BuildConfig.FCM_CONFIGURED && googleServices(context) -> Fcm
            BuildConfig.HMS_CONFIGURED && huaweiServices(context) -> Hms
            else -> null
        }

        private fun googleServices(context: Context): Boolean = runCatching {
            GoogleApiAvailability.getInstance().isGooglePlayServicesAvailable(context) == GmsResult.SUCCESS
        }.getOrDefault(false)

        private fun huaweiServices(context: Context): Boolean = runCatching {
            HuaweiApiAvailability.getInstance().isHuaweiMobileServicesAvailable(context) == HmsResult.SUCCESS
        }.getOrDefault(false)
    }
}

/** Registers this phone for push: after sign-in, at start, and whenever a token changes. */
object Push {
    /** Fetches the chosen service's token and registers it, when the network allows. */
    fun register(context: Context) = PushWorker.enqueue(context, null, null)

    /** A service handed over a new token. */
    fun tokenChanged(context: Context, provider: PushProvider, token: String) =
        PushWorker.enqueue(context, provider, token)
}

/**
 * Hands the token to the server for the signed-in person; retried while offline. Nobody
 * signed in: nothing to do (the next sign-in registers again).
 */
class PushWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val provider = PushProvider.choose(applicationContext) ?: return Result.success()
        val from = inputData.getString(KEY_PROVIDER)
        // A token of a service this phone does not use (both SDKs are in the app).
        if (from != null && from != provider.code) return Result.success()
        val token = inputData.getString(KEY_TOKEN)
            ?: try {
                provider.token(applicationContext)
            } catch (e: Exception) {
                return if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
            }
            ?: return Result.success()
        val repo = applicationContext.duban.session.repository() ?: return Result.success()
        return try {
            repo.registerPush(provider.code, token, BuildConfig.VERSION_NAME)
            Result.success()
        } catch (e: DubanException.SignedOut) {
            Result.success()
        } catch (e: DubanException.Offline) {
            if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
        } catch (e: DubanException) {
            Result.failure()
        }
    }

    companion object {
        private const val NAME = "duban-push-registration"
        private const val KEY_PROVIDER = "provider"
        private const val KEY_TOKEN = "token"
        private const val MAX_ATTEMPTS = 10

        fun enqueue(context: Context, provider: PushProvider?, token: String?) {
            val request = OneTimeWorkRequestBuilder<PushWorker>()
                .setInputData(workDataOf(KEY_PROVIDER to provider?.code, KEY_TOKEN to token))
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(NAME, ExistingWorkPolicy.REPLACE, request)
        }
    }
}
