// The inbox (待办): what needs me now, most pressing first, with the unread count, the sync
// status bar (opening the waiting-to-send list), pull to refresh, and the registration of a
// problem found on site for those the core lets register.
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.Card
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.pulltorefresh.PullToRefreshBox
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.Session
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.localized
import cn.gov.duban.app.data.pick
import cn.gov.duban.core.Screen
import kotlinx.coroutines.launch
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.InboxRow
import uniffi.duban_ffi.Me

/** The inbox screen. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun InboxPage(
    repo: AppRepository,
    session: Session,
    me: Me,
    tabs: @Composable () -> Unit,
    onOpen: (String) -> Unit,
    onNotifications: () -> Unit,
    onRegister: () -> Unit,
    onPending: () -> Unit,
) {
    val model = viewModel { InboxModel(repo) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val sync by model.sync.collectAsStateWithLifecycle()
    val refreshing by model.refreshing.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    val now = rememberNow()
    val unread = screen.valueOrNull()?.unread ?: 0uL
    // Offered to those the core lets register items; it decides each registration.
    val registrar = me.mayRegister

    Scaffold(
        topBar = {
            TopAppBar(
                title = {
                    Column {
                        Text(stringResource(R.string.inbox_title))
                        Text(me.name, style = MaterialTheme.typography.bodySmall)
                    }
                },
                actions = {
                    IconButton(onClick = onNotifications) {
                        BadgedBox(badge = { if (unread > 0uL) Badge { Text(unread.toString()) } }) {
                            Icon(Icons.Filled.Notifications, contentDescription = stringResource(R.string.tab_notifications))
                        }
                    }
                    InboxMenu(session, onPending)
                },
            )
        },
        bottomBar = tabs,
        floatingActionButton = {
            if (registrar) {
                ExtendedFloatingActionButton(
                    text = { Text(stringResource(R.string.register_action)) },
                    icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                    onClick = onRegister,
                )
            }
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            SyncBar(sync, onClick = onPending)
            PullToRefreshBox(isRefreshing = refreshing, onRefresh = model::pull, modifier = Modifier.fillMaxSize()) {
                LazyColumn(
                    Modifier.fillMaxSize(),
                    // Room below the last row for the button that registers.
                    contentPadding = PaddingValues(start = 12.dp, top = 12.dp, end = 12.dp, bottom = if (registrar) 88.dp else 12.dp),
                    verticalArrangement = Arrangement.spacedBy(8.dp),
                ) {
                    when (val s = screen) {
                        Screen.Loading -> item { Message(stringResource(R.string.loading)) }
                        is Screen.Failed -> item { Failure(s.error) }
                        is Screen.Ready -> if (s.value.rows.isEmpty()) {
                            item { Message(stringResource(R.string.inbox_empty)) }
                        } else {
                            items(s.value.rows, key = { it.item.id }) { row ->
                                InboxCard(row, now) { onOpen(row.item.id) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/** One row: light, urgency, number, title, countdown, status and what it asks of me. */
@Composable
private fun InboxCard(row: InboxRow, now: Long, onClick: () -> Unit) {
    val item = row.item
    val deadline = item.deadlineMs
    Card(onClick = onClick, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                LightDot(item.light)
                UrgencyTag(item.urgency)
                Text(
                    item.number ?: stringResource(R.string.number_pending),
                    style = MaterialTheme.typography.labelMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
            Text(item.title, style = MaterialTheme.typography.titleMedium, maxLines = 2, overflow = TextOverflow.Ellipsis)
            Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                Text(
                    countdownText(deadline, now),
                    style = MaterialTheme.typography.bodySmall,
                    color = if (deadline != null && deadline < now) {
                        MaterialTheme.colorScheme.error
                    } else {
                        MaterialTheme.colorScheme.onSurfaceVariant
                    },
                )
                Text(pick(item.statusZh, item.statusEn), style = MaterialTheme.typography.bodySmall)
                if (item.pending > 0u) {
                    Text(
                        stringResource(R.string.pending_count, item.pending.toInt()),
                        style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.tertiary,
                    )
                }
            }
            DutyTags(row.duties)
        }
    }
}

/**
 * The overflow menu: the waiting-to-send list, and sign-out, which offers to discard acts
 * that wait to be sent.
 */
@Composable
private fun InboxMenu(session: Session, onPending: () -> Unit) {
    val scope = rememberCoroutineScope()
    var open by remember { mutableStateOf(false) }
    var refusal by remember { mutableStateOf<DubanException?>(null) }
    var confirm by rememberSaveable { mutableStateOf(false) }

    IconButton(onClick = { open = true }) {
        Icon(Icons.Filled.MoreVert, contentDescription = stringResource(R.string.more))
    }
    DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
        DropdownMenuItem(text = { Text(stringResource(R.string.pending_title)) }, onClick = {
            open = false
            onPending()
        })
        DropdownMenuItem(text = { Text(stringResource(R.string.sign_out)) }, onClick = {
            open = false
            confirm = true
        })
    }
    if (confirm) {
        AlertDialog(
            onDismissRequest = { confirm = false },
            title = { Text(stringResource(R.string.sign_out)) },
            text = { Text(stringResource(R.string.sign_out_confirm)) },
            confirmButton = {
                TextButton(onClick = {
                    confirm = false
                    scope.launch {
                        try {
                            session.signOut(discardPending = false)
                        } catch (e: DubanException) {
                            refusal = e
                        }
                    }
                }) { Text(stringResource(R.string.sign_out)) }
            },
            dismissButton = { TextButton(onClick = { confirm = false }) { Text(stringResource(R.string.cancel)) } },
        )
    }
    refusal?.let { e ->
        // Typically: acts still wait to be sent. Signing out anyway loses them.
        AlertDialog(
            onDismissRequest = { refusal = null },
            title = { Text(stringResource(R.string.sign_out_refused)) },
            text = { Text(e.localized() + "\n\n" + stringResource(R.string.sign_out_discard_warning)) },
            confirmButton = {
                TextButton(onClick = {
                    refusal = null
                    scope.launch {
                        try {
                            session.signOut(discardPending = true)
                        } catch (e2: DubanException) {
                            refusal = e2
                        }
                    }
                }) { Text(stringResource(R.string.sign_out_discard), color = MaterialTheme.colorScheme.error) }
            },
            dismissButton = { TextButton(onClick = { refusal = null }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
