// The camera for evidence: a CameraX preview and ImageCapture, giving the photo as JPEG
// bytes. The photo is saved to a temporary file first so that CameraX writes its EXIF
// orientation (and the GPS fix, when there is one); the core's pipeline turns it upright.
package cn.gov.duban.app.device

import android.content.Context
import android.location.Location
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import java.io.File
import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/** Takes photos with the [ImageCapture] the preview is bound with. */
class Shutter internal constructor(
    private val context: Context,
    internal val capture: ImageCapture,
    private val executor: Executor,
) {
    /**
     * Takes one photo; [onJpeg] gets its bytes, or [onError] the reason, on a background
     * thread. [location] goes into the photo's EXIF.
     */
    fun take(location: Location?, onJpeg: (ByteArray) -> Unit, onError: (Exception) -> Unit) {
        val file = try {
            File.createTempFile("capture", ".jpg", context.cacheDir)
        } catch (e: Exception) {
            onError(e)
            return
        }
        val metadata = ImageCapture.Metadata().apply { this.location = location }
        val options = ImageCapture.OutputFileOptions.Builder(file).setMetadata(metadata).build()
        capture.takePicture(
            options,
            executor,
            object : ImageCapture.OnImageSavedCallback {
                override fun onImageSaved(outputFileResults: ImageCapture.OutputFileResults) {
                    val bytes = try {
                        file.readBytes()
                    } catch (e: Exception) {
                        onError(e)
                        return
                    } finally {
                        file.delete()
                    }
                    onJpeg(bytes)
                }

                override fun onError(exception: ImageCaptureException) {
                    file.delete()
                    onError(exception)
                }
            },
        )
    }
}

/** A [Shutter] for this composition, with the thread its photos are read on. */
@Composable
fun rememberShutter(): Shutter {
    val context = LocalContext.current
    val executor: ExecutorService = remember { Executors.newSingleThreadExecutor() }
    DisposableEffect(executor) { onDispose { executor.shutdown() } }
    return remember(context) {
        val capture = ImageCapture.Builder()
            .setCaptureMode(ImageCapture.CAPTURE_MODE_MINIMIZE_LATENCY)
            .build()
        Shutter(context.applicationContext, capture, executor)
    }
}

/**
 * The back camera's preview, bound to this screen's lifecycle with [shutter]'s capture;
 * [onError] when the phone has no usable camera.
 */
@Composable
fun CameraPreview(shutter: Shutter, modifier: Modifier = Modifier, onError: (Exception) -> Unit) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val previewView = remember(context) {
        PreviewView(context).apply { scaleType = PreviewView.ScaleType.FILL_CENTER }
    }
    DisposableEffect(lifecycleOwner, shutter) {
        val future = ProcessCameraProvider.getInstance(context)
        var provider: ProcessCameraProvider? = null
        future.addListener(
            {
                try {
                    val p = future.get()
                    provider = p
                    val preview = Preview.Builder().build()
                    preview.setSurfaceProvider(previewView.surfaceProvider)
                    p.unbindAll()
                    p.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, shutter.capture)
                } catch (e: Exception) {
                    onError(e)
                }
            },
            ContextCompat.getMainExecutor(context),
        )
        onDispose { provider?.unbindAll() }
    }
    AndroidView(factory = { previewView }, modifier = modifier)
}
