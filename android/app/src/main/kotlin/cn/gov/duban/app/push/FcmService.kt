// FCM: new tokens go to the server; a message brings a sync and, while the app is in the
// foreground (when FCM does not show it itself), a notification.
package cn.gov.duban.app.push

import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage

/** The app's FirebaseMessagingService. */
class FcmService : FirebaseMessagingService() {
    override fun onNewToken(token: String) {
        Push.tokenChanged(this, PushProvider.Fcm, token)
    }

    override fun onMessageReceived(message: RemoteMessage) {
        Notifier.received(this, message.data, message.notification?.title, message.notification?.body)
    }
}
