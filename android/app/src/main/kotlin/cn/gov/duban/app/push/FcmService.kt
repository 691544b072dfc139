// FCM: new tokens go to the server; a message brings a sync and, while the app is in the
// foreground (when FCM does not show it itself), a notification.
package cn.gov.duban.app.push

import cn.gov.duban.app.R
import cn.gov.duban.app.work.SyncWorker
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage

/** The app's FirebaseMessagingService. */
class FcmService : FirebaseMessagingService() {
    override fun onNewToken(token: String) {
        Push.tokenChanged(this, PushProvider.Fcm, token)
    }

    override fun onMessageReceived(message: RemoteMessage) {
        SyncWorker.enqueueOnce(this)
        val data = message.data
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
