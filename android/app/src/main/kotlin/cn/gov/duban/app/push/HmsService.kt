// HMS Push Kit: the same as FcmService for Huawei phones without Google Play services.
package cn.gov.duban.app.push

import android.os.Bundle
import com.huawei.hms.push.HmsMessageService
import com.huawei.hms.push.RemoteMessage

/** The app's HmsMessageService. */
class HmsService : HmsMessageService() {
    override fun onNewToken(token: String?) {
        if (!token.isNullOrEmpty()) Push.tokenChanged(this, PushProvider.Hms, token)
    }

    override fun onNewToken(token: String?, bundle: Bundle?) {
        onNewToken(token)
    }

    /** Data messages only: HMS shows notification messages itself. */
    override fun onMessageReceived(message: RemoteMessage?) {
        if (message == null) return
        val data: Map<String, String> = message.dataOfMap ?: emptyMap()
        Notifier.received(this, data, message.notification?.title, message.notification?.body)
    }
}
