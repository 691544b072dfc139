// The app's own notifications: one channel, and a notification per push that opens the item.
package cn.gov.duban.app.push

import android.Manifest
import android.annotation.SuppressLint
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import cn.gov.duban.app.MainActivity
import cn.gov.duban.app.R
import cn.gov.duban.app.work.SyncWorker

/** Shows what a push tells, on the app's channel. */
object Notifier {
    /** The channel, also named in the manifest for FCM's own notifications. */
    const val CHANNEL = "duban"

    /**
     * The intent extra naming the item to open. The same key as the push's data field, so
     * that a notification the system shows for FCM opens the item too.
     */
    const val EXTRA_TASK = "task"

    /** Creates the channel (again harmlessly at every start). */
    fun createChannel(context: Context) {
        val channel = NotificationChannel(
            CHANNEL,
            context.getString(R.string.channel_name),
            NotificationManager.IMPORTANCE_HIGH,
        ).apply { description = context.getString(R.string.channel_description) }
        context.getSystemService(NotificationManager::class.java)?.createNotificationChannel(channel)
    }

    /**
     * A push that reached the app (FCM, HMS or a maker's channel, in the foreground or as a data message): syncs
     * once and shows it. [data] is the server's payload (`task`, `notification`, `kind`); [title]
     * and [body] come in the language the person chose in Duban (the server picks it).
     */
    fun received(context: Context, data: Map<String, String>, title: String?, body: String?) {
        SyncWorker.enqueueOnce(context)
        show(
            context = context,
            id = data["notification"],
            title = title ?: context.getString(R.string.app_name),
            body = body.orEmpty(),
            task = data["task"],
        )
    }

    /**
     * A notification the system showed for a maker's channel (Xiaomi, vivo) was tapped: the
     * system opens the app as the server's message asks; here the data is brought up to date
     * with one sync. [data] is the server's payload (`task`, `notification`, `kind`).
     */
    @Suppress("UNUSED_PARAMETER")
    fun tapped(context: Context, data: Map<String, String>) {
        SyncWorker.enqueueOnce(context)
    }

    /** Shows one notification; [id] (the server's notification id) keeps a resend single. */
    @SuppressLint("MissingPermission") // checked below: POST_NOTIFICATIONS on 33+
    fun show(context: Context, id: String?, title: String, body: String, task: String?) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) !=
            PackageManager.PERMISSION_GRANTED
        ) {
            return
        }
        val manager = NotificationManagerCompat.from(context)
        if (!manager.areNotificationsEnabled()) return
        val tag = id ?: task ?: "duban"
        val open = Intent(context, MainActivity::class.java).apply {
            flags = Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_SINGLE_TOP
            if (task != null) putExtra(EXTRA_TASK, task)
        }
        val pending = PendingIntent.getActivity(
            context,
            tag.hashCode(),
            open,
            PendingIntent.FLAG_UPDATE_CURRENT or PendingIntent.FLAG_IMMUTABLE,
        )
        val notification = NotificationCompat.Builder(context, CHANNEL)
            .setSmallIcon(R.drawable.ic_stat_duban)
            .setContentTitle(title)
            .setContentText(body)
            .setStyle(NotificationCompat.BigTextStyle().bigText(body))
            .setPriority(NotificationCompat.PRIORITY_HIGH)
            .setAutoCancel(true)
            .setContentIntent(pending)
            .build()
        try {
            manager.notify(tag, 0, notification)
        } catch (e: SecurityException) {
            // The permission was withdrawn between the check and the call.
        }
    }
}
