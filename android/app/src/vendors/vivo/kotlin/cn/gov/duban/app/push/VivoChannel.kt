// vivo Push (an AAR from dev.vivo.com.cn placed in app/libs): vivo and iQOO phones. The app
// id and key go in the manifest's meta-data (app/build.gradle.kts puts them there). Compiled
// in only when the AAR is there.
package cn.gov.duban.app.push

import android.content.Context
import cn.gov.duban.app.BuildConfig
import com.vivo.push.PushClient
import com.vivo.push.PushConfig
import com.vivo.push.listener.IPushQueryActionListener
import com.vivo.push.model.UPSNotificationMessage
import com.vivo.push.sdk.OpenClientPushMessageReceiver
import kotlin.coroutines.resume
import kotlinx.coroutines.suspendCancellableCoroutine

/** Drives the vivo SDK: initialise (the person agreed to the privacy statement at install), turn on, ask for the id. */
class VivoChannel : VendorChannel {
    override fun supported(context: Context): Boolean =
        BuildConfig.VIVO_APP_ID.isNotEmpty() && runCatching { PushClient.getInstance(context).isSupport }.getOrDefault(false)

    override suspend fun start(context: Context): String? {
        val client = PushClient.getInstance(context)
        client.initialize(PushConfig.Builder().agreePrivacyStatement(true).build())
        client.turnOnPush { }
        return suspendCancellableCoroutine { done ->
            client.getRegId(object : IPushQueryActionListener {
                override fun onSuccess(regId: String?) {
                    if (done.isActive) done.resume(regId)
                }

                override fun onFail(code: Int?) {
                    // Not yet: the receiver hands the id over when it comes.
                    if (done.isActive) done.resume(null)
                }
            })
        }
    }
}

/** The SDK's receiver: a new registration id, and taps on the notifications the system showed. */
class VivoReceiver : OpenClientPushMessageReceiver() {
    override fun onReceiveRegId(context: Context, regId: String?) {
        if (!regId.isNullOrEmpty()) Push.tokenChanged(context, PushProvider.Vivo, regId)
    }

    override fun onNotificationMessageClicked(context: Context, message: UPSNotificationMessage) {
        Notifier.tapped(context, message.params.orEmpty())
    }
}
