// The camera of the field forms (a report, a registration): the permissions, the CameraX
// preview with its shutter, and the line telling where the phone is with the place's name.
package cn.gov.duban.app.ui

import android.Manifest
import android.content.pm.PackageManager
import android.location.Location
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.LocationOn
import androidx.compose.material.icons.filled.PhotoCamera
import androidx.compose.material3.FilledIconButton
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import cn.gov.duban.app.R
import cn.gov.duban.app.device.CameraPreview
import cn.gov.duban.app.device.rememberShutter
import java.util.Locale

/**
 * The back camera with a shutter. At first show it asks for the camera and the location,
 * and [onLocationAllowed] runs once location is allowed (to take a fix). Each photo goes
 * to [onJpeg] (on a background thread) with [location] in its EXIF; a failed shot or a
 * phone without a usable camera tells [onCameraFailed]. Without the permission it says so
 * and offers to ask again.
 */
@Composable
fun FieldCamera(
    location: Location?,
    onJpeg: (ByteArray) -> Unit,
    onCameraFailed: () -> Unit,
    onLocationAllowed: () -> Unit,
    modifier: Modifier = Modifier,
) {
    val context = LocalContext.current

    fun granted(permission: String) =
        ContextCompat.checkSelfPermission(context, permission) == PackageManager.PERMISSION_GRANTED

    var camera by remember { mutableStateOf(granted(Manifest.permission.CAMERA)) }
    var cameraBroken by remember { mutableStateOf(false) }
    val permissions = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { result ->
        camera = result[Manifest.permission.CAMERA] ?: granted(Manifest.permission.CAMERA)
        val located = result[Manifest.permission.ACCESS_FINE_LOCATION] == true ||
            result[Manifest.permission.ACCESS_COARSE_LOCATION] == true
        if (located) onLocationAllowed()
    }
    LaunchedEffect(Unit) {
        val wanted = listOf(
            Manifest.permission.CAMERA,
            Manifest.permission.ACCESS_FINE_LOCATION,
            Manifest.permission.ACCESS_COARSE_LOCATION,
        ).filterNot { granted(it) }
        if (wanted.isEmpty()) onLocationAllowed() else permissions.launch(wanted.toTypedArray())
    }
    val shutter = rememberShutter()

    Column(modifier, verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (camera && !cameraBroken) {
            Box(
                Modifier
                    .fillMaxWidth()
                    .height(280.dp)
                    .clip(MaterialTheme.shapes.medium),
            ) {
                CameraPreview(shutter, Modifier.fillMaxSize()) { cameraBroken = true }
                FilledIconButton(
                    onClick = {
                        shutter.take(
                            location = location,
                            onJpeg = onJpeg,
                            onError = { onCameraFailed() },
                        )
                    },
                    modifier = Modifier
                        .align(Alignment.BottomCenter)
                        .padding(12.dp)
                        .size(64.dp),
                ) {
                    Icon(Icons.Filled.PhotoCamera, contentDescription = stringResource(R.string.take_photo))
                }
            }
        } else {
            Text(
                stringResource(if (cameraBroken) R.string.camera_failed else R.string.camera_denied),
                color = MaterialTheme.colorScheme.error,
            )
            if (!camera) {
                OutlinedButton(onClick = { permissions.launch(arrayOf(Manifest.permission.CAMERA)) }) {
                    Text(stringResource(R.string.camera_allow))
                }
            }
        }
    }
}

/** Where the phone is, as the photos will carry it, and the place's name for the watermark. */
@Composable
fun FieldPlace(fix: FieldFix, onRetry: () -> Unit, onPlace: (String) -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            Icon(Icons.Filled.LocationOn, contentDescription = null)
            val location = fix.location
            Text(
                when {
                    fix.locating -> stringResource(R.string.locating)
                    location != null -> stringResource(
                        R.string.located,
                        String.format(Locale.ROOT, "%.5f", location.latitude),
                        String.format(Locale.ROOT, "%.5f", location.longitude),
                    )
                    else -> stringResource(R.string.not_located)
                },
                style = MaterialTheme.typography.bodySmall,
                modifier = Modifier.weight(1f),
            )
            if (!fix.locating) {
                TextButton(onClick = onRetry) { Text(stringResource(R.string.locate_again)) }
            }
        }
        OutlinedTextField(
            value = fix.place,
            onValueChange = onPlace,
            label = { Text(stringResource(R.string.place)) },
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
    }
}
