// The approvals (extensions, suspensions, resumptions, reports, registrations), the acts the
// server refused (needs attention), and the notifications.
package cn.gov.duban.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.Approval
import cn.gov.duban.app.data.label
import cn.gov.duban.app.data.pick
import cn.gov.duban.core.Screen
import uniffi.duban_ffi.NotificationRow

/** A list screen's frame: title, actions, tabs, snackbar, and the record's three states. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun <T> ListFrame(
    title: String,
    screen: Screen<List<T>>,
    empty: String,
    tabs: @Composable () -> Unit,
    snackbar: SnackbarHostState,
    actions: @Composable () -> Unit = {},
    row: @Composable (T) -> Unit,
) {
    Scaffold(
        topBar = { TopAppBar(title = { Text(title) }, actions = { actions() }) },
        bottomBar = tabs,
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        LazyColumn(
            Modifier
                .padding(padding)
                .fillMaxSize(),
            contentPadding = PaddingValues(12.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            when (screen) {
                Screen.Loading -> item { Message(stringResource(R.string.loading)) }
                is Screen.Failed -> item { Failure(screen.error) }
                is Screen.Ready -> if (screen.value.isEmpty()) {
                    item { Message(empty) }
                } else {
                    items(screen.value) { row(it) }
                }
            }
        }
    }
}

/** What is waiting for my approval, each decided here with an opinion. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ApprovalsPage(repo: AppRepository, tabs: @Composable () -> Unit, onOpen: (String) -> Unit) {
    val model = viewModel { ApprovalsModel(repo) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    var deciding by remember { mutableStateOf<Deciding?>(null) }

    ListFrame(stringResource(R.string.tab_approvals), screen, stringResource(R.string.approvals_empty), tabs, snackbar) { entry ->
        val item = entry.row.item
        Card(onClick = { onOpen(item.id) }, modifier = Modifier.fillMaxWidth()) {
            Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    LightDot(item.light)
                    UrgencyTag(item.urgency)
                    Text(item.number ?: stringResource(R.string.number_pending), style = MaterialTheme.typography.labelMedium)
                }
                Text(item.title, style = MaterialTheme.typography.titleMedium)
                FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    val approvals = entry.row.duties.mapNotNull { duty -> Approval.of(duty.duty)?.let { duty to it } }
                    for ((duty, approval) in approvals) {
                        val words = pick(duty.zh, duty.en)
                        if (approval == Approval.Report) {
                            for (report in entry.reports) {
                                val kind = report.kind.label()
                                val title = stringResource(R.string.decide_report_by, kind, report.byName)
                                Button(onClick = { deciding = Deciding(item.id, approval, title, report.id) }, enabled = !busy) {
                                    Text(title)
                                }
                            }
                        } else {
                            Button(onClick = { deciding = Deciding(item.id, approval, words, null) }, enabled = !busy) {
                                Text(words)
                            }
                        }
                    }
                }
            }
        }
    }
    deciding?.let { d ->
        DecisionDialog(d.title, onDismiss = { deciding = null }) { approve, opinion ->
            model.decide(d.task, d.approval, approve, opinion, d.report)
            deciding = null
        }
    }
}

/** An approval being decided. */
private data class Deciding(val task: String, val approval: Approval, val title: String, val report: String?)

/** The acts the server refused, with its reason: resubmit or discard each. */
@Composable
fun AttentionPage(repo: AppRepository, tabs: @Composable () -> Unit, onOpen: (String) -> Unit) {
    val model = viewModel { AttentionModel(repo) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    var discarding by remember { mutableStateOf<String?>(null) }

    ListFrame(stringResource(R.string.tab_attention), screen, stringResource(R.string.attention_empty), tabs, snackbar) { entry ->
        val row = entry.row
        Card(onClick = { onOpen(row.task) }, modifier = Modifier.fillMaxWidth()) {
            Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Text(entry.title ?: stringResource(R.string.item_gone), style = MaterialTheme.typography.titleMedium)
                Text(pick(row.zh, row.en), color = MaterialTheme.colorScheme.error)
                Text(row.code, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = { model.resubmit(row.id) }, enabled = !busy) { Text(stringResource(R.string.resubmit)) }
                    OutlinedButton(onClick = { discarding = row.id }, enabled = !busy) { Text(stringResource(R.string.discard)) }
                }
            }
        }
    }
    discarding?.let { id ->
        AlertDialog(
            onDismissRequest = { discarding = null },
            title = { Text(stringResource(R.string.discard)) },
            text = { Text(stringResource(R.string.discard_confirm)) },
            confirmButton = {
                TextButton(onClick = {
                    model.discard(id)
                    discarding = null
                }) { Text(stringResource(R.string.discard), color = MaterialTheme.colorScheme.error) }
            },
            dismissButton = { TextButton(onClick = { discarding = null }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}

/** The notifications, newest first; opening one marks it read. */
@Composable
fun NotificationsPage(repo: AppRepository, tabs: @Composable () -> Unit, onOpen: (String) -> Unit) {
    val model = viewModel { NotificationsModel(repo) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)

    ListFrame(
        stringResource(R.string.tab_notifications),
        screen,
        stringResource(R.string.notifications_empty),
        tabs,
        snackbar,
        actions = {
            TextButton(onClick = { model.markRead(null) }) { Text(stringResource(R.string.mark_all_read)) }
        },
    ) { row ->
        NotificationLine(row) {
            if (!row.read) model.markRead(row.id)
            onOpen(row.task)
        }
    }
}

@Composable
private fun NotificationLine(row: NotificationRow, onClick: () -> Unit) {
    Column(Modifier.fillMaxWidth().clickable(onClick = onClick)) {
        Row(Modifier.padding(vertical = 8.dp), verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Box(
                Modifier
                    .size(8.dp)
                    .background(if (row.read) MaterialTheme.colorScheme.surface else MaterialTheme.colorScheme.primary, CircleShape),
            )
            Column(Modifier.weight(1f)) {
                Text(
                    pick(row.zh, row.en),
                    style = MaterialTheme.typography.bodyMedium,
                    fontWeight = if (row.read) FontWeight.Normal else FontWeight.Bold,
                )
                Text(formatDateTime(row.atMs), style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
        }
        HorizontalDivider()
    }
}
