// Push registration: which service this phone uses, its token, and handing the token to the
// server (DubanApp.registerPush) once someone is signed in.
package cn.gov.duban.app.push

import android.content.Context
import android.os.Build
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
import com.hihonor.push.sdk.HonorPushCallback
import com.hihonor.push.sdk.HonorPushClient
import com.huawei.hms.aaid.HmsInstanceId
import com.huawei.hms.api.HuaweiApiAvailability
import java.util.concurrent.TimeUnit
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.tasks.await
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.pushProviderFor
import com.google.android.gms.common.ConnectionResult as GmsResult
import com.huawei.hms.api.ConnectionResult as HmsResult

/**
 * A push service, by the code the server knows it by. Which one a phone uses is the core's
 * rule (`pushProviderFor`): the maker's own channel (Huawei and HarmonyOS → HMS, Honor,
 * Xiaomi/Redmi/POCO, OPPO/OnePlus/realme, vivo/iQOO), else FCM where Google Play services run.
 */
enum class PushProvider(val code: String) {
    /** Firebase Cloud Messaging: phones with Google Play services. */
    Fcm("fcm"),

    /** HMS Push Kit: Huawei phones (and HarmonyOS 2–4), which in China lack Google Play services. */
    Hms("hms"),

    /** Honor Push: Honor phones on MagicOS (no HMS Core since 2024). */
    Honor("honor"),

    /** Xiaomi Push: Xiaomi, Redmi and POCO phones (the SDK is an AAR in app/libs: README.md). */
    Xiaomi("xiaomi"),

    /** OPPO Push: OPPO, OnePlus and realme phones (the SDK is an AAR in app/libs). */
    Oppo("oppo"),

    /** vivo Push: vivo and iQOO phones (the SDK is an AAR in app/libs). */
    Vivo("vivo"),
    ;

    /**
     * The current token; none when the service hands it over later (onNewToken, or a
     * vendor's receiver, which calls [Push.tokenChanged]).
     */
    suspend fun token(context: Context): String? = when (this) {
        Fcm -> FirebaseMessaging.getInstance().token.await()
        Hms -> withContext(Dispatchers.IO) {
            // Blocking, and never on the main thread.
            HmsInstanceId.getInstance(context).getToken(BuildConfig.HMS_APP_ID, HMS_SCOPE)
        }
        Honor -> honorToken(context)
        Xiaomi, Oppo, Vivo -> VendorChannel.of(this)?.start(context.applicationContext)
    }?.takeIf { it.isNotEmpty() }

    companion object {
        private const val HMS_SCOPE = "HCM"

        /** The provider of a code the core chose. */
        fun of(code: String?): PushProvider? = entries.firstOrNull { it.code == code }

        /**
         * The service for this phone, among those this build has and this phone can use;
         * none when there is none (the in-app inbox, the periodic sync and SMS still reach
         * the person).
         */
        fun choose(context: Context): PushProvider? {
            val google = BuildConfig.FCM_CONFIGURED && googleServices(context)
            val usable = buildList {
                if (google) add(Fcm.code)
                if (BuildConfig.HMS_CONFIGURED && huaweiServices(context)) add(Hms.code)
                if (BuildConfig.HONOR_CONFIGURED && honorServices(context)) add(Honor.code)
                for (p in listOf(Xiaomi, Oppo, Vivo)) {
                    if (VendorChannel.of(p)?.supported(context) == true) add(p.code)
                }
            }
            return of(pushProviderFor(Build.MANUFACTURER.orEmpty(), Build.BRAND.orEmpty(), google, harmonyOs(), usable))
        }

        private fun googleServices(context: Context): Boolean = runCatching {
            GoogleApiAvailability.getInstance().isGooglePlayServicesAvailable(context) == GmsResult.SUCCESS
        }.getOrDefault(false)

        private fun huaweiServices(context: Context): Boolean = runCatching {
            HuaweiApiAvailability.getInstance().isHuaweiMobileServicesAvailable(context) == HmsResult.SUCCESS
        }.getOrDefault(false)

        private fun honorServices(context: Context): Boolean = runCatching {
            HonorPushClient.getInstance().checkSupportHonorPush(context)
        }.getOrDefault(false)

        /**
         * HarmonyOS 2–4 (Android-compatible, with HMS Core): its `BuildEx.getOsBrand()` says
         * `harmony`. HarmonyOS NEXT does not run this app.
         */
        private fun harmonyOs(): Boolean = runCatching {
            val buildEx = Class.forName("com.huawei.system.BuildEx")
            buildEx.getMethod("getOsBrand").invoke(null) == "harmony"
        }.getOrDefault(false)

        /** Honor's token, asked for after the SDK is initialised (asynchronous in the SDK). */
        private suspend fun honorToken(context: Context): String? {
            HonorPushClient.getInstance().init(context.applicationContext, true)
            return suspendCancellableCoroutine { done ->
                HonorPushClient.getInstance().getPushToken(object : HonorPushCallback<String> {
                    override fun onSuccess(token: String?) {
                        if (done.isActive) done.resume(token)
                    }

                    override fun onFailure(code: Int, message: String?) {
                        if (done.isActive) done.resumeWithException(IllegalStateException("Honor Push $code"))
                    }
                })
            }
        }
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
        // A token of a service this phone does not use (several SDKs are in the app).
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
