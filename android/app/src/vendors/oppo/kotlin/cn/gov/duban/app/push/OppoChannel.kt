// OPPO Push (HeyTap MSP SDK, an AAR from open.oppomobile.com placed in app/libs): OPPO,
// OnePlus and realme phones. Compiled in only when the AAR is there (app/build.gradle.kts).
package cn.gov.duban.app.push

import android.content.Context
import cn.gov.duban.app.BuildConfig
import com.heytap.msp.push.HeytapPushManager
import com.heytap.msp.push.callback.ICallBackResultService

/** Drives the HeyTap SDK: registration with the app's key and secret. */
class OppoChannel : VendorChannel {
    override fun supported(context: Context): Boolean {
        if (BuildConfig.OPPO_APP_KEY.isEmpty() || BuildConfig.OPPO_APP_SECRET.isEmpty()) return false
        HeytapPushManager.init(context, false)
        return HeytapPushManager.isSupportPush(context)
    }

    /** Registers; the id arrives in the callback (and is cached by the SDK afterwards). */
    override suspend fun start(context: Context): String? {
        HeytapPushManager.init(context, false)
        HeytapPushManager.register(context, BuildConfig.OPPO_APP_KEY, BuildConfig.OPPO_APP_SECRET, Callback(context))
        return HeytapPushManager.getRegisterID()
    }

    /** The SDK's answers; only the registration matters here. */
    private class Callback(private val context: Context) : ICallBackResultService {
        override fun onRegister(code: Int, registerId: String?, packageName: String?, miniPackageName: String?) {
            if (code == 0 && !registerId.isNullOrEmpty()) Push.tokenChanged(context, PushProvider.Oppo, registerId)
        }

        override fun onUnRegister(code: Int, packageName: String?, miniPackageName: String?) {}

        override fun onSetPushTime(code: Int, pushTime: String?) {}

        override fun onGetPushStatus(code: Int, status: Int) {}

        override fun onGetNotificationStatus(code: Int, status: Int) {}

        override fun onError(code: Int, message: String?, packageName: String?, miniPackageName: String?) {}
    }
}
