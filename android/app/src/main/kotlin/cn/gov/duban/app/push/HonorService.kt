// Honor Push: the same as FcmService for Honor phones, which have neither Google Play
// services nor (since 2024) HMS Core. The SDK and its Gradle plugin come from Honor's Maven
// repository; mcs-services.json configures it (README.md).
package cn.gov.duban.app.push

import com.hihonor.push.sdk.HonorMessageService
import com.hihonor.push.sdk.HonorPushDataMsg
import org.json.JSONObject

/** The app's HonorMessageService. */
class HonorService : HonorMessageService() {
    override fun onNewToken(token: String?) {
        if (!token.isNullOrEmpty()) Push.tokenChanged(this, PushProvider.Honor, token)
    }

    /** Data messages only: Honor shows notification messages itself. */
    override fun onMessageReceived(message: HonorPushDataMsg?) {
        val data = message?.data ?: return
        val fields = runCatching {
            val json = JSONObject(data)
            json.keys().asSequence().associateWith { json.optString(it) }
        }.getOrDefault(emptyMap())
        Notifier.received(this, fields, null, null)
    }
}
