// Xiaomi Push (MiPush SDK, an AAR from dev.mi.com placed in app/libs): Xiaomi, Redmi and
// POCO phones. Compiled in only when the AAR is there (app/build.gradle.kts).
package cn.gov.duban.app.push

import android.content.Context
import cn.gov.duban.app.BuildConfig
import com.xiaomi.mipush.sdk.ErrorCode
import com.xiaomi.mipush.sdk.MiPushClient
import com.xiaomi.mipush.sdk.MiPushCommandMessage
import com.xiaomi.mipush.sdk.MiPushMessage
import com.xiaomi.mipush.sdk.PushMessageReceiver

/** Drives the MiPush SDK: registration with the app's id and key. */
class XiaomiChannel : VendorChannel {
    override fun supported(context: Context): Boolean =
        BuildConfig.XIAOMI_APP_ID.isNotEmpty() && BuildConfig.XIAOMI_APP_KEY.isNotEmpty()

    /** Registers (in the main process, as the SDK asks); the id arrives in [XiaomiReceiver]. */
    override suspend fun start(context: Context): String? {
        MiPushClient.registerPush(context, BuildConfig.XIAOMI_APP_ID, BuildConfig.XIAOMI_APP_KEY)
        return MiPushClient.getRegId(context)
    }
}

/** The SDK's receiver: the registration id, and pass-through messages. */
class XiaomiReceiver : PushMessageReceiver() {
    override fun onReceiveRegisterResult(context: Context, message: MiPushCommandMessage) {
        val ok = message.command == MiPushClient.COMMAND_REGISTER &&
            message.resultCode == ErrorCode.SUCCESS.toLong()
        val regId = message.commandArguments?.firstOrNull()
        if (ok && !regId.isNullOrEmpty()) Push.tokenChanged(context, PushProvider.Xiaomi, regId)
    }

    /** A pass-through message (the server sends notifications, which the system shows). */
    override fun onReceivePassThroughMessage(context: Context, message: MiPushMessage) {
        Notifier.received(context, message.extra.orEmpty(), message.title, message.description)
    }

    /** A notification the system showed was tapped: sync, and open the item. */
    override fun onNotificationMessageClicked(context: Context, message: MiPushMessage) {
        Notifier.tapped(context, message.extra.orEmpty())
    }
}
