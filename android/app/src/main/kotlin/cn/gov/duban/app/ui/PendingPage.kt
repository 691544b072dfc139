// 待发送: the acts of this phone that the server has not confirmed yet, oldest first, with
// how sending them went, and sync now.
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.filled.Sync
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.pick
import cn.gov.duban.core.Screen

/** The waiting-to-send list; tapping an act opens its item. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun PendingPage(repo: AppRepository, onBack: () -> Unit, onOpen: (String) -> Unit) {
    val model = viewModel { PendingModel(repo) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val sync by model.sync.collectAsStateWithLifecycle()
    val syncing by model.syncing.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.pending_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                    }
                },
                actions = {
                    if (syncing) {
                        CircularProgressIndicator(Modifier.padding(horizontal = 12.dp).size(20.dp), strokeWidth = 2.dp)
                    } else {
                        TextButton(onClick = model::syncNow) {
                            Icon(Icons.Filled.Sync, contentDescription = null)
                            Text(stringResource(R.string.sync_now), Modifier.padding(start = 6.dp))
                        }
                    }
                },
            )
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            SyncBar(sync)
            LazyColumn(
                Modifier.fillMaxSize(),
                contentPadding = PaddingValues(12.dp),
                verticalArrangement = Arrangement.spacedBy(8.dp),
            ) {
                when (val s = screen) {
                    Screen.Loading -> item { Message(stringResource(R.string.loading)) }
                    is Screen.Failed -> item { Failure(s.error) }
                    is Screen.Ready -> if (s.value.isEmpty()) {
                        item { Message(stringResource(R.string.pending_empty)) }
                    } else {
                        items(s.value, key = { it.row.id }) { entry ->
                            PendingCard(entry) { onOpen(entry.row.task) }
                        }
                    }
                }
            }
        }
    }
}

/** One act: what, on which item, when, and how sending it went. */
@Composable
private fun PendingCard(entry: PendingEntry, onClick: () -> Unit) {
    val row = entry.row
    Card(onClick = onClick, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(pick(row.nameZh, row.nameEn), style = MaterialTheme.typography.titleSmall, modifier = Modifier.weight(1f))
                if (row.sent) {
                    Tag(stringResource(R.string.pending_sent))
                } else {
                    Tag(
                        stringResource(R.string.pending_queued),
                        MaterialTheme.colorScheme.tertiaryContainer,
                        MaterialTheme.colorScheme.onTertiaryContainer,
                    )
                }
            }
            Text(entry.title ?: stringResource(R.string.item_gone), style = MaterialTheme.typography.bodyMedium)
            Text(
                stringResource(R.string.pending_issued, formatDateTime(row.issuedMs)),
                style = MaterialTheme.typography.labelSmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
            if (row.attempts > 0u) {
                Text(
                    stringResource(R.string.pending_attempts, row.attempts.toInt()),
                    style = MaterialTheme.typography.labelSmall,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
            val error = row.lastError
            if (error != null) {
                Text(stringResource(R.string.pending_last_error, error), style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.error)
            }
        }
    }
}
