// Evidence photos on screen: each file fetched by its hash (DubanApp.file: from the device,
// else the server), decoded with BitmapFactory at the size shown, and kept in a small cache.
package cn.gov.duban.app.ui

import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.util.LruCache
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.BrokenImage
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.Description
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.ImageBitmap
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.Dp
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.Dialog
import androidx.compose.ui.window.DialogProperties
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Evidence

/** Decoded photos by hash and size, up to an eighth of the heap in bytes. */
private object PhotoCache {
    private val cache = object : LruCache<String, Bitmap>((Runtime.getRuntime().maxMemory() / 8).toInt()) {
        override fun sizeOf(key: String, value: Bitmap): Int = value.byteCount
    }

    suspend fun load(repo: AppRepository, hash: String, maxEdge: Int): Bitmap? {
        val key = "$hash@$maxEdge"
        cache.get(key)?.let { return it }
        val data = repo.file(hash)
        val bitmap = withContext(Dispatchers.Default) { decode(data.bytes, maxEdge) } ?: return null
        cache.put(key, bitmap)
        return bitmap
    }

    /** Decodes at the smallest power-of-two reduction that still covers [maxEdge]. */
    private fun decode(bytes: ByteArray, maxEdge: Int): Bitmap? {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        BitmapFactory.decodeByteArray(bytes, 0, bytes.size, bounds)
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) return null
        var sample = 1
        while (maxOf(bounds.outWidth, bounds.outHeight) / (sample * 2) >= maxEdge) sample *= 2
        val options = BitmapFactory.Options().apply { inSampleSize = sample }
        return BitmapFactory.decodeByteArray(bytes, 0, bytes.size, options)
    }
}

/** A photo being read: not yet, read, or not available (offline and not on the device). */
private sealed interface Photo {
    data object Loading : Photo
    data class Ready(val image: ImageBitmap) : Photo
    data object Unavailable : Photo
}

@Composable
private fun rememberPhoto(repo: AppRepository, hash: String, maxEdge: Int): Photo {
    val photo by produceState<Photo>(Photo.Loading, hash, maxEdge) {
        value = try {
            PhotoCache.load(repo, hash, maxEdge)?.let { Photo.Ready(it.asImageBitmap()) } ?: Photo.Unavailable
        } catch (e: DubanException) {
            Photo.Unavailable
        }
    }
    return photo
}

/** Whether a file is shown as a picture. */
fun Evidence.isImage(): Boolean = mime.startsWith("image/")

/**
 * One cited file: a photo's thumbnail (tap to enlarge), or a file's name; with the
 * reviewer's [warnings] beneath, in the core's words.
 */
@Composable
fun EvidenceTile(repo: AppRepository, evidence: Evidence, warnings: List<String>, onOpen: (Evidence) -> Unit, size: Dp = 120.dp) {
    Column(Modifier.width(size), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Box(
            Modifier
                .size(size)
                .clip(MaterialTheme.shapes.small)
                .background(MaterialTheme.colorScheme.surfaceVariant)
                .clickable(enabled = evidence.isImage()) { onOpen(evidence) },
            contentAlignment = Alignment.Center,
        ) {
            if (evidence.isImage()) {
                when (val photo = rememberPhoto(repo, evidence.hash, THUMB_EDGE)) {
                    Photo.Loading -> CircularProgressIndicator(Modifier.size(24.dp))
                    is Photo.Ready -> Image(
                        photo.image,
                        contentDescription = evidence.name,
                        contentScale = ContentScale.Crop,
                        modifier = Modifier.fillMaxSize(),
                    )
                    Photo.Unavailable -> Icon(Icons.Filled.BrokenImage, contentDescription = stringResource(R.string.photo_unavailable))
                }
            } else {
                Icon(Icons.Filled.Description, contentDescription = null)
            }
        }
        if (!evidence.isImage()) {
            Text(evidence.name, style = MaterialTheme.typography.bodySmall, maxLines = 2, overflow = TextOverflow.Ellipsis)
        }
        for (warning in warnings) {
            Text(warning, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.error)
        }
    }
}

/** A photo over the whole screen. */
@Composable
fun PhotoViewer(repo: AppRepository, evidence: Evidence, onClose: () -> Unit) {
    Dialog(onDismissRequest = onClose, properties = DialogProperties(usePlatformDefaultWidth = false)) {
        Box(
            Modifier
                .fillMaxSize()
                .background(Color.Black),
            contentAlignment = Alignment.Center,
        ) {
            when (val photo = rememberPhoto(repo, evidence.hash, FULL_EDGE)) {
                Photo.Loading -> CircularProgressIndicator()
                is Photo.Ready -> Image(
                    photo.image,
                    contentDescription = evidence.name,
                    contentScale = ContentScale.Fit,
                    modifier = Modifier.fillMaxWidth(),
                )
                Photo.Unavailable -> Text(stringResource(R.string.photo_unavailable), color = Color.White)
            }
            IconButton(onClick = onClose, modifier = Modifier.align(Alignment.TopEnd).padding(8.dp)) {
                Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.close), tint = Color.White)
            }
        }
    }
}

private const val THUMB_EDGE = 320
private const val FULL_EDGE = 2048
