// A progress or completion report from the field: photos from the camera (with the phone's
// position) or the gallery, each turned into evidence by the core's pipeline at once, then
// the report itself. On a rectification, each camera photo answers one of the item's
// "before" photos, chosen here. A work order's reply is written section by section in the
// office's template (the core's reply_sections), and sent composed as the core checks it.
package cn.gov.duban.app.ui

import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.border
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
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
import androidx.compose.material.icons.filled.PhotoLibrary
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
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
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.device.Locator
import kotlin.math.roundToInt
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.duban_ffi.PhotoPairRow
import uniffi.duban_ffi.ReportKind

/** The report screen for [task], of [kind]. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ReportPage(repo: AppRepository, task: String, kind: ReportKind, onDone: () -> Unit) {
    val context = LocalContext.current
    val model = viewModel(key = "report-$task-$kind") {
        ReportModel(repo, Locator(context.applicationContext), task, kind)
    }
    val draft by model.draft.collectAsStateWithLifecycle()
    val fix by model.fix.collectAsStateWithLifecycle()
    val processing by model.processing.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val sent by model.sent.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    LaunchedEffect(sent) { if (sent) onDone() }
    val scope = rememberCoroutineScope()

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

    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Text(stringResource(if (kind == ReportKind.COMPLETION) R.string.act_report_completion else R.string.act_report_progress))
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
            FieldCamera(
                location = fix.location,
                onJpeg = { jpeg -> model.addPhoto(jpeg, fromCamera = true) },
                onCameraFailed = model::cameraFailed,
                onLocationAllowed = model::locate,
            )
            if (draft.pairs.isNotEmpty()) {
                AnswerChooser(repo, draft.pairs, draft.answering, onChoose = model::answer)
            }
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = {
                    gallery.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                }) {
                    Icon(Icons.Filled.PhotoLibrary, contentDescription = null)
                    Text(stringResource(R.string.from_gallery), Modifier.padding(start = 6.dp))
                }
                if (processing > 0) {
                    CircularProgressIndicator(Modifier.size(20.dp), strokeWidth = 2.dp)
                    Text(stringResource(R.string.photo_processing), style = MaterialTheme.typography.bodySmall)
                }
            }
            FieldPlace(fix, onRetry = model::locate, onPlace = model::place)
            if (draft.photos.isNotEmpty()) {
                LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    items(draft.photos) { photo ->
                        Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
                            Box {
                                EvidenceTile(repo, photo.evidence, emptyList(), onOpen = {})
                                IconButton(onClick = { model.removePhoto(photo) }, modifier = Modifier.align(Alignment.TopEnd)) {
                                    Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.remove))
                                }
                            }
                            val answered = draft.pairs.indexOfFirst { it.before.hash == photo.answers }
                            if (answered >= 0) {
                                Text(
                                    stringResource(R.string.report_answers_of, answered + 1),
                                    style = MaterialTheme.typography.labelSmall,
                                    color = MaterialTheme.colorScheme.primary,
                                )
                            }
                        }
                    }
                }
            }
            if (draft.sections.isEmpty()) {
                OutlinedTextField(
                    value = draft.text,
                    onValueChange = model::text,
                    label = { Text(stringResource(R.string.report_text)) },
                    minLines = 4,
                    modifier = Modifier.fillMaxWidth(),
                )
            } else {
                // A work order's reply: one box per section of the office's template.
                Text(stringResource(R.string.reply_template), style = MaterialTheme.typography.labelLarge)
                draft.sections.forEachIndexed { index, section ->
                    OutlinedTextField(
                        value = draft.sectionTexts.getOrElse(index) { "" },
                        onValueChange = { model.sectionText(index, it) },
                        label = { Text(section) },
                        minLines = 2,
                        modifier = Modifier.fillMaxWidth(),
                    )
                }
            }
            if (kind == ReportKind.PROGRESS) {
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
                enabled = !busy && processing == 0 && draft.written,
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.submit)) }
        }
    }
}

/**
 * Which "before" photo the next camera photo answers: one of the item's (numbered as on the
 * item screen, marked when something answers it already), or none.
 */
@Composable
private fun AnswerChooser(repo: AppRepository, pairs: List<PhotoPairRow>, answering: String?, onChoose: (String?) -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text(stringResource(R.string.report_answers), style = MaterialTheme.typography.labelLarge)
        LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            item {
                Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(2.dp)) {
                    Chosen(answering == null, onClick = { onChoose(null) }) {
                        Box(Modifier.size(ANSWER_TILE), contentAlignment = Alignment.Center) {
                            Text(stringResource(R.string.report_answers_none), style = MaterialTheme.typography.bodySmall)
                        }
                    }
                }
            }
            items(pairs.withIndex().toList()) { (index, pair) ->
                val hash = pair.before.hash
                Column(horizontalAlignment = Alignment.CenterHorizontally, verticalArrangement = Arrangement.spacedBy(2.dp)) {
                    Chosen(answering == hash, onClick = { onChoose(hash) }) {
                        EvidenceTile(repo, pair.before, emptyList(), onOpen = { onChoose(hash) }, size = ANSWER_TILE)
                    }
                    Text(stringResource(R.string.pair_before, index + 1), style = MaterialTheme.typography.labelSmall)
                    if (pair.after.isNotEmpty()) {
                        Text(stringResource(R.string.pair_answered), style = MaterialTheme.typography.labelSmall, color = Signal.green)
                    }
                }
            }
        }
    }
}

/** A choice's frame: a thick border in the primary colour when [selected]. */
@Composable
private fun Chosen(selected: Boolean, onClick: () -> Unit, content: @Composable () -> Unit) {
    Box(
        Modifier
            .border(
                width = if (selected) 3.dp else 1.dp,
                color = if (selected) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.outlineVariant,
                shape = MaterialTheme.shapes.small,
            )
            .clickable(onClick = onClick)
            .padding(4.dp),
    ) {
        content()
    }
}

private val ANSWER_TILE = 88.dp
