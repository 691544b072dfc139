// HMS Push Kit: the same as FcmService for Huawei phones without Google Play services.
package cn.gov.duban.app.push

import android.os.Bundle
import cn.gov.duban.app.R
import cn.gov.duban.app.work.SyncWorker
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
        SyncWorker.enqueueOnce(this)
        val data: Map<String, String> = message.dataOfMap ?: emptyMap()
        val notification = message.notification
        Notifier.show(
            context = this,
            id = data["notification"],
            title = notification?.title ?: getString(R.string.app_name),
            body = notification?.body ?: data["en"].orEmpty(),
            task = data["task"],
        )
    }
}
