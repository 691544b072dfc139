// A progress or completion report from the field: photos from the camera (with the phone's
// position) or the gallery, each turned into evidence by the core's pipeline at once, then
// the report itself.
package cn.gov.duban.app.ui

import android.Manifest
import android.content.pm.PackageManager
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.LocationOn
import androidx.compose.material.icons.filled.PhotoCamera
import androidx.compose.material.icons.filled.PhotoLibrary
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilledIconButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Slider
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.Report
import cn.gov.duban.app.device.CameraPreview
import cn.gov.duban.app.device.Locator
import cn.gov.duban.app.device.rememberShutter
import java.util.Locale
import kotlin.math.roundToInt
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/** The report screen for [task]; [kind] is `progress` or `completion`. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReportPage(repo: AppRepository, task: String, kind: String, onDone: () -> Unit) {
    val context = LocalContext.current
    val model = viewModel(key = "report-$task-$kind") {
        ReportModel(repo, Locator(context.applicationContext), task, kind)
    }
    val draft by model.draft.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val sent by model.sent.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    LaunchedEffect(sent) { if (sent) onDone() }
    val scope = rememberCoroutineScope()

    fun granted(permission: String) =
        ContextCompat.checkSelfPermission(context, permission) == PackageManager.PERMISSION_GRANTED

    var camera by remember { mutableStateOf(granted(Manifest.permission.CAMERA)) }
    var cameraBroken by remember { mutableStateOf(false) }
    val permissions = rememberLauncherForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { result ->
        camera = result[Manifest.permission.CAMERA] ?: granted(Manifest.permission.CAMERA)
        val located = result[Manifest.permission.ACCESS_FINE_LOCATION] == true ||
            result[Manifest.permission.ACCESS_COARSE_LOCATION] == true
        if (located) model.locate()
    }
    LaunchedEffect(Unit) {
        val wanted = listOf(
            Manifest.permission.CAMERA,
            Manifest.permission.ACCESS_FINE_LOCATION,
            Manifest.permission.ACCESS_COARSE_LOCATION,
        ).filterNot { granted(it) }
        if (wanted.isEmpty()) model.locate() else permissions.launch(wanted.toTypedArray())
    }
    val gallery = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri: Uri? ->
        if (uri != null) {
            scope.launch {
                val bytes = withContext(Dispatchers.IO) {
                    runCatching { context.contentResolver.openInputStream(uri)?.use { it.readBytes() } }.getOrNull()
                }
                if (bytes != null) model.addPhoto(bytes, fromCamera = false)
            }
        }
    }
    val shutter = rememberShutter()

    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Text(stringResource(if (kind == Report.COMPLETION) R.string.act_report_completion else R.string.act_report_progress))
                },
                navigationIcon = {
                    IconButton(onClick = onDone) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                    }
                },
            )
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        Column(
            Modifier
                .padding(padding)
                .fillMaxSize()
                .imePadding()
                .verticalScroll(rememberScrollState())
                .padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
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
                                location = draft.location,
                                onJpeg = { jpeg -> model.addPhoto(jpeg, fromCamera = true) },
                                onError = { model.cameraFailed() },
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
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = {
                    gallery.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                }) {
                    Icon(Icons.Filled.PhotoLibrary, contentDescription = null)
                    Text(stringResource(R.string.from_gallery), Modifier.padding(start = 6.dp))
                }
                if (draft.processing > 0) {
                    CircularProgressIndicator(Modifier.size(20.dp), strokeWidth = 2.dp)
                    Text(stringResource(R.string.photo_processing), style = MaterialTheme.typography.bodySmall)
                }
            }
            LocationLine(draft, onRetry = model::locate)
            OutlinedTextField(
                value = draft.place,
                onValueChange = model::place,
                label = { Text(stringResource(R.string.place)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            if (draft.photos.isNotEmpty()) {
                LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    items(draft.photos) { photo ->
                        Box {
                            EvidenceTile(repo, photo, emptyList(), onOpen = {})
                            IconButton(onClick = { model.removePhoto(photo) }, modifier = Modifier.align(Alignment.TopEnd)) {
                                Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.remove))
                            }
                        }
                    }
                }
            }
            OutlinedTextField(
                value = draft.text,
                onValueChange = model::text,
                label = { Text(stringResource(R.string.report_text)) },
                minLines = 4,
                modifier = Modifier.fillMaxWidth(),
            )
            if (kind == Report.PROGRESS) {
                Text(stringResource(R.string.progress, draft.percent))
                Slider(
                    value = draft.percent.toFloat(),
                    onValueChange = { model.percent(it.roundToInt()) },
                    valueRange = 0f..100f,
                    steps = 19,
                )
            }
            Button(
                onClick = model::send,
                enabled = !busy && draft.processing == 0 && draft.text.isNotBlank(),
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.submit)) }
        }
    }
}

/** Where the phone is, as the photos will carry it. */
@Composable
private fun LocationLine(draft: ReportDraft, onRetry: () -> Unit) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(6.dp)) {
        Icon(Icons.Filled.LocationOn, contentDescription = null)
        val location = draft.location
        Text(
            when {
                draft.locating -> stringResource(R.string.locating)
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
        if (!draft.locating) {
            TextButton(onClick = onRetry) { Text(stringResource(R.string.locate_again)) }
        }
    }
}
