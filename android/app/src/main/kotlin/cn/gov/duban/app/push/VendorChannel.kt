// The Android makers' channels whose SDKs are AARs outside Maven (Xiaomi, OPPO, vivo): each
// is compiled in only when its AAR is in app/libs (app/build.gradle.kts), so the app finds
// it by name and works without it.
package cn.gov.duban.app.push

import android.content.Context

/** A maker's push SDK, as the app drives it. */
interface VendorChannel {
    /** Whether this phone runs the maker's push service and the build has its keys. */
    fun supported(context: Context): Boolean

    /**
     * Starts the SDK and registers the app. Returns the token when the SDK already has one;
     * otherwise the SDK's receiver hands it to [Push.tokenChanged] when it arrives.
     */
    suspend fun start(context: Context): String?

    companion object {
        /** The channel's class, in `src/vendors/<name>/kotlin` (absent without its AAR). */
        private fun className(provider: PushProvider): String? = when (provider) {
            PushProvider.Xiaomi -> "cn.gov.duban.app.push.XiaomiChannel"
            PushProvider.Oppo -> "cn.gov.duban.app.push.OppoChannel"
            PushProvider.Vivo -> "cn.gov.duban.app.push.VivoChannel"
            else -> null
        }

        private val loaded = mutableMapOf<PushProvider, VendorChannel?>()

        /** The maker's channel, if this build has it. */
        @Synchronized
        fun of(provider: PushProvider): VendorChannel? = loaded.getOrPut(provider) {
            val name = className(provider) ?: return@getOrPut null
            runCatching {
                Class.forName(name).getDeclaredConstructor().newInstance() as VendorChannel
            }.getOrNull()
        }
    }
}
