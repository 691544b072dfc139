// 现场发现问题登记: a problem found on site, registered from the phone with its "before"
// photos (the camera's, with the phone's position). The core decides the registration; the
// server numbers the item when it reaches it.
package cn.gov.duban.app.ui

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
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.pick
import cn.gov.duban.app.data.visibilityLabel
import cn.gov.duban.app.device.Locator
import cn.gov.duban.core.Screen

/** The registration screen; [onRegistered] gets the new item's id. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun RegisterPage(repo: AppRepository, onBack: () -> Unit, onRegistered: (String) -> Unit) {
    val context = LocalContext.current
    val model = viewModel(key = "register") { RegisterModel(repo, Locator(context.applicationContext)) }
    val categories by model.categories.collectAsStateWithLifecycle()
    val draft by model.draft.collectAsStateWithLifecycle()
    val fix by model.fix.collectAsStateWithLifecycle()
    val processing by model.processing.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val registered by model.registered.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    LaunchedEffect(registered) { registered?.let(onRegistered) }
    val category = categories.valueOrNull()?.firstOrNull { it.code == draft.category }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.register_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
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
            Text(stringResource(R.string.register_category), style = MaterialTheme.typography.labelLarge)
            when (val c = categories) {
                Screen.Loading -> Text(stringResource(R.string.loading), style = MaterialTheme.typography.bodySmall)
                is Screen.Failed -> Failure(c.error)
                is Screen.Ready -> if (c.value.isEmpty()) {
                    Text(stringResource(R.string.register_no_categories), color = MaterialTheme.colorScheme.onSurfaceVariant)
                } else {
                    Picker(
                        selected = category,
                        options = c.value,
                        label = { pick(it.name, it.nameEn) },
                        placeholder = stringResource(R.string.register_pick_category),
                        onPick = { model.category(it.code) },
                    )
                }
            }
            // The category's required attributes, each by its name as the organisation gives it.
            for (key in category?.requiredAttributes.orEmpty()) {
                OutlinedTextField(
                    value = draft.attributes[key].orEmpty(),
                    onValueChange = { model.attribute(key, it) },
                    label = { Text(stringResource(R.string.register_attribute, key)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
            }
            OutlinedTextField(
                value = draft.title,
                onValueChange = model::title,
                label = { Text(stringResource(R.string.register_item_title)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = draft.content,
                onValueChange = model::content,
                label = { Text(stringResource(R.string.register_content)) },
                minLines = 4,
                modifier = Modifier.fillMaxWidth(),
            )
            Text(stringResource(R.string.register_urgency), style = MaterialTheme.typography.labelLarge)
            UrgencyChoice(draft.urgency, onSelect = model::urgency)
            OptionalDeadline(
                label = stringResource(R.string.register_deadline),
                checked = draft.withDeadline,
                onChecked = model::withDeadline,
                initialMs = null,
                onChange = model::deadline,
            )
            Row(verticalAlignment = Alignment.CenterVertically) {
                Column(Modifier.weight(1f)) {
                    Text(visibilityLabel(true))
                    Text(
                        stringResource(if (draft.isPublic) R.string.register_public_on else R.string.register_public_off, visibilityLabel(draft.isPublic)),
                        style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                    )
                }
                Switch(checked = draft.isPublic, onCheckedChange = model::setPublic)
            }
            Text(stringResource(R.string.register_photos), style = MaterialTheme.typography.titleMedium)
            Text(
                stringResource(R.string.register_photos_hint),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
            FieldCamera(
                location = fix.location,
                onJpeg = model::addPhoto,
                onCameraFailed = model::cameraFailed,
                onLocationAllowed = model::locate,
            )
            if (processing > 0) {
                Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    CircularProgressIndicator(Modifier.size(20.dp), strokeWidth = 2.dp)
                    Text(stringResource(R.string.photo_processing), style = MaterialTheme.typography.bodySmall)
                }
            }
            FieldPlace(fix, onRetry = model::locate, onPlace = model::place)
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
            Button(
                onClick = model::register,
                enabled = !busy && processing == 0 && category != null && draft.title.isNotBlank() &&
                    (!draft.withDeadline || draft.deadlineMs != null),
                modifier = Modifier.fillMaxWidth(),
            ) { Text(stringResource(R.string.register_submit)) }
        }
    }
}
