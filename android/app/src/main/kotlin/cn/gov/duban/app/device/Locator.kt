// Where the phone is, from android.location.LocationManager: GPS or the network provider,
// without Google Play services (Huawei phones have none).
package cn.gov.duban.app.device

import android.Manifest
import android.annotation.SuppressLint
import android.content.Context
import android.content.pm.PackageManager
import android.location.Geocoder
import android.location.Location
import android.location.LocationListener
import android.location.LocationManager
import android.os.Bundle
import android.os.Looper
import androidx.core.content.ContextCompat
import java.io.IOException
import java.util.Locale
import kotlin.coroutines.resume
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull

/** One fix at a time, for the photo's watermark and evidence record. */
class Locator(private val context: Context) {
    private val manager: LocationManager? = context.getSystemService(LocationManager::class.java)

    /** Whether the person let the app know where the phone is. */
    fun permitted(): Boolean = listOf(
        Manifest.permission.ACCESS_FINE_LOCATION,
        Manifest.permission.ACCESS_COARSE_LOCATION,
    ).any { ContextCompat.checkSelfPermission(context, it) == PackageManager.PERMISSION_GRANTED }

    /**
     * A fresh fix within [timeoutMs], else the newest one the phone already had; none
     * without permission or with location off.
     */
    @SuppressLint("MissingPermission") // permitted() is checked first
    suspend fun current(timeoutMs: Long = 20_000): Location? {
        val manager = manager ?: return null
        if (!permitted()) return null
        val providers = listOf(LocationManager.GPS_PROVIDER, LocationManager.NETWORK_PROVIDER)
            .filter { runCatching { manager.isProviderEnabled(it) }.getOrDefault(false) }
        if (providers.isEmpty()) return null
        return withTimeoutOrNull(timeoutMs) { firstFix(manager, providers) }
            ?: providers.mapNotNull { runCatching { manager.getLastKnownLocation(it) }.getOrNull() }
                .maxByOrNull { it.time }
    }

    /** The place's name for the watermark, where the phone has a geocoder. */
    suspend fun placeName(location: Location): String? = withContext(Dispatchers.IO) {
        if (!Geocoder.isPresent()) return@withContext null
        try {
            @Suppress("DEPRECATION") // the listener form is API 33+; this one works everywhere
            val address = Geocoder(context, Locale.getDefault())
                .getFromLocation(location.latitude, location.longitude, 1)
                ?.firstOrNull() ?: return@withContext null
            listOfNotNull(address.locality, address.subLocality, address.thoroughfare, address.subThoroughfare)
                .distinct()
                .joinToString("")
                .ifBlank { address.getAddressLine(0) }
        } catch (e: IOException) {
            null
        } catch (e: IllegalArgumentException) {
            null
        }
    }

    @SuppressLint("MissingPermission")
    private suspend fun firstFix(manager: LocationManager, providers: List<String>): Location =
        suspendCancellableCoroutine { continuation ->
            // Every method overridden: before API 30 they are abstract on the phone.
            val listener = object : LocationListener {
                override fun onLocationChanged(location: Location) {
                    manager.removeUpdates(this)
                    if (continuation.isActive) continuation.resume(location)
                }

                @Deprecated("Deprecated in Java")
                override fun onStatusChanged(provider: String?, status: Int, extras: Bundle?) {
                }

                override fun onProviderEnabled(provider: String) {
                }

                override fun onProviderDisabled(provider: String) {
                }
            }
            for (provider in providers) {
                manager.requestLocationUpdates(provider, 0L, 0f, listener, Looper.getMainLooper())
            }
            continuation.invokeOnCancellation { manager.removeUpdates(listener) }
        }
}
