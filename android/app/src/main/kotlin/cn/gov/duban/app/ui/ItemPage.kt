// The item screen: what it is and asks, its countdown, the acts its duties call for, a
// rectification's before and after photos side by side, its reports with their photos, and
// its trail with the verification mark.
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.automirrored.filled.Send
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.Error
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material.icons.filled.Verified
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
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
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.data.AppRepository
import cn.gov.duban.app.data.Approval
import cn.gov.duban.app.data.english
import cn.gov.duban.app.data.label
import cn.gov.duban.app.data.pick
import cn.gov.duban.app.data.unitsBelow
import cn.gov.duban.core.Screen
import uniffi.duban_ffi.Act
import uniffi.duban_ffi.Evidence
import uniffi.duban_ffi.EvidenceRow
import uniffi.duban_ffi.ItemScreen
import uniffi.duban_ffi.Me
import uniffi.duban_ffi.PhotoPairRow
import uniffi.duban_ffi.ReportKind
import uniffi.duban_ffi.ReportRow
import uniffi.duban_ffi.ReportStatus
import uniffi.duban_ffi.TrailRow
import uniffi.duban_ffi.UnitRow

/** The dialog open on the item screen. */
private sealed interface ItemDialog {
    data object Decline : ItemDialog
    data object ReturnOrder : ItemDialog
    data object Commitment : ItemDialog
    data object Extension : ItemDialog
    data object Suspension : ItemDialog
    data object Resumption : ItemDialog
    data object Review : ItemDialog
    data object Rate : ItemDialog
    data object Instruct : ItemDialog
    data object Decompose : ItemDialog
    data class Decide(val approval: Approval, val title: String, val report: String? = null) : ItemDialog
}

/** The item screen for [task]. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ItemPage(repo: AppRepository, me: Me, task: String, onBack: () -> Unit, onReport: (kind: ReportKind) -> Unit) {
    val model = viewModel(key = "item-$task") { ItemModel(repo, task) }
    val screen by model.screen.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    NoticeEffect(model.notices, snackbar)
    var dialog by remember { mutableStateOf<ItemDialog?>(null) }
    var viewing by remember { mutableStateOf<Evidence?>(null) }
    val item = screen.valueOrNull()

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(item?.item?.number ?: stringResource(R.string.item_title)) },
                navigationIcon = {
                    IconButton(onClick = onBack) {
                        Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                    }
                },
                actions = { if (item != null) ItemMenu(item, model) { dialog = it } },
            )
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        when (val s = screen) {
            Screen.Loading -> Message(stringResource(R.string.loading), Modifier.padding(padding))
            is Screen.Failed -> Failure(s.error, Modifier.padding(padding))
            is Screen.Ready -> {
                val value = s.value
                if (value == null) {
                    Message(stringResource(R.string.item_gone), Modifier.padding(padding))
                } else {
                    ItemContent(
                        repo = repo,
                        screen = value,
                        busy = busy,
                        padding = padding,
                        model = model,
                        onReport = onReport,
                        onDialog = { dialog = it },
                        onView = { viewing = it },
                    )
                }
            }
        }
    }

    val current = item
    when (val d = dialog) {
        null -> Unit
        ItemDialog.Decline -> TextDialog(
            title = stringResource(R.string.act_decline),
            label = stringResource(R.string.reason),
            confirm = stringResource(R.string.act_decline),
            onDismiss = { dialog = null },
        ) { model.decline(it); dialog = null }
        ItemDialog.ReturnOrder -> TextDialog(
            title = stringResource(R.string.act_return_order),
            label = stringResource(R.string.reason),
            confirm = stringResource(R.string.act_return_order),
            onDismiss = { dialog = null },
        ) { model.returnOrder(it); dialog = null }
        ItemDialog.Commitment -> CommitmentDialog(current?.item?.deadlineMs, onDismiss = { dialog = null }) { until, reason ->
            model.requestCommitment(until, reason)
            dialog = null
        }
        ItemDialog.Suspension -> TextDialog(
            title = stringResource(R.string.act_suspension),
            label = stringResource(R.string.reason),
            confirm = stringResource(R.string.submit),
            onDismiss = { dialog = null },
        ) { model.requestSuspension(it); dialog = null }
        ItemDialog.Resumption -> TextDialog(
            title = stringResource(R.string.act_resumption),
            label = stringResource(R.string.reason),
            confirm = stringResource(R.string.submit),
            onDismiss = { dialog = null },
        ) { model.requestResumption(it); dialog = null }
        ItemDialog.Instruct -> TextDialog(
            title = stringResource(R.string.act_instruct),
            label = stringResource(R.string.instruction),
            confirm = stringResource(R.string.submit),
            onDismiss = { dialog = null },
        ) { model.instruct(it); dialog = null }
        ItemDialog.Extension -> ExtensionDialog(current?.item?.deadlineMs, onDismiss = { dialog = null }) { until, reason ->
            model.requestExtension(until, reason)
            dialog = null
        }
        ItemDialog.Review -> ReviewDialog(current?.item?.deadlineMs, onDismiss = { dialog = null }) { accept, opinion, deadline ->
            model.review(accept, opinion, deadline)
            dialog = null
        }
        ItemDialog.Rate -> RateDialog(onDismiss = { dialog = null }) { stars, opinion ->
            model.rate(stars, opinion)
            dialog = null
        }
        is ItemDialog.Decide -> DecisionDialog(d.title, onDismiss = { dialog = null }) { approve, opinion ->
            model.decide(d.approval, approve, opinion, d.report)
            dialog = null
        }
        ItemDialog.Decompose -> {
            val units by model.units.collectAsStateWithLifecycle()
            // Offered: the units below mine. Whether I may decompose to one is the core's to say.
            val below: Screen<List<UnitRow>> = remember(units, me.unit) {
                when (val u = units) {
                    is Screen.Ready -> Screen.Ready(unitsBelow(u.value, me.unit))
                    else -> u
                }
            }
            DecomposeDialog(below, current?.item?.deadlineMs, onDismiss = { dialog = null }) { title, content, unit, deadline ->
                model.decompose(title, content, unit, deadline)
                dialog = null
            }
        }
    }
    viewing?.let { PhotoViewer(repo, it) { viewing = null } }
}

/**
 * The acts on offer kept in the menu: following, the requests (a work order's committed
 * deadline among them), decomposing and instructing.
 */
private val menuActs = listOf(
    Act.FOLLOW,
    Act.UNFOLLOW,
    Act.REQUEST_EXTENSION,
    Act.REQUEST_COMMITMENT,
    Act.REQUEST_SUSPENSION,
    Act.REQUEST_RESUMPTION,
    Act.DECOMPOSE,
    Act.INSTRUCT,
)

/** The menu of the acts on offer that are not duties' buttons; the core chose them. */
@Composable
private fun ItemMenu(screen: ItemScreen, model: ItemModel, onDialog: (ItemDialog) -> Unit) {
    var open by remember { mutableStateOf(false) }
    val offered = screen.acts.map { it.act }.toSet()
    val acts = menuActs.filter { it in offered }
    if (acts.isEmpty()) return
    IconButton(onClick = { open = true }) {
        Icon(Icons.Filled.MoreVert, contentDescription = stringResource(R.string.more))
    }
    DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
        for (act in acts) {
            val label = when (act) {
                Act.FOLLOW -> R.string.act_follow
                Act.UNFOLLOW -> R.string.act_unfollow
                Act.REQUEST_EXTENSION -> R.string.act_extension
                Act.REQUEST_COMMITMENT -> R.string.act_commitment
                Act.REQUEST_SUSPENSION -> R.string.act_suspension
                Act.REQUEST_RESUMPTION -> R.string.act_resumption
                Act.DECOMPOSE -> R.string.act_decompose
                else -> R.string.act_instruct
            }
            val action: () -> Unit = when (act) {
                Act.FOLLOW -> { { model.follow(true) } }
                Act.UNFOLLOW -> { { model.follow(false) } }
                Act.REQUEST_EXTENSION -> { { onDialog(ItemDialog.Extension) } }
                Act.REQUEST_COMMITMENT -> { { onDialog(ItemDialog.Commitment) } }
                Act.REQUEST_SUSPENSION -> { { onDialog(ItemDialog.Suspension) } }
                Act.REQUEST_RESUMPTION -> { { onDialog(ItemDialog.Resumption) } }
                Act.DECOMPOSE -> {
                    {
                        model.loadUnits()
                        onDialog(ItemDialog.Decompose)
                    }
                }
                else -> { { onDialog(ItemDialog.Instruct) } }
            }
            DropdownMenuItem(
                text = { Text(stringResource(label)) },
                onClick = {
                    open = false
                    action()
                },
            )
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun ItemContent(
    repo: AppRepository,
    screen: ItemScreen,
    busy: Boolean,
    padding: PaddingValues,
    model: ItemModel,
    onReport: (ReportKind) -> Unit,
    onDialog: (ItemDialog) -> Unit,
    onView: (Evidence) -> Unit,
) {
    val row = screen.item
    val now = rememberNow()
    var replyTo by rememberSaveable { mutableStateOf<String?>(null) }
    var comment by rememberSaveable { mutableStateOf("") }
    val canApproveReports = screen.acts.any { it.act == Act.DECIDE_REPORT }

    Column(
        Modifier
            .padding(padding)
            .fillMaxSize()
            .imePadding(),
    ) {
        LazyColumn(
            Modifier.weight(1f),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            item {
                Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
                    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        LightDot(row.light)
                        UrgencyTag(row.urgency)
                        Tag(pick(row.statusZh, row.statusEn))
                    }
                    Text(row.title, style = MaterialTheme.typography.headlineSmall)
                    Text(
                        row.number ?: stringResource(R.string.number_pending),
                        style = MaterialTheme.typography.bodyMedium,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                    )
                }
            }
            item { CountdownCard(screen, now) }
            if (screen.pending > 0u || screen.attention > 0u) {
                item {
                    Column {
                        if (screen.pending > 0u) {
                            Text(stringResource(R.string.pending_count, screen.pending.toInt()), color = MaterialTheme.colorScheme.tertiary)
                        }
                        if (screen.attention > 0u) {
                            Text(stringResource(R.string.attention_count, screen.attention.toInt()), color = MaterialTheme.colorScheme.error)
                        }
                    }
                }
            }
            if (screen.duties.isNotEmpty() || screen.acts.any { it.act !in menuActs }) {
                item {
                    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        DutyTags(screen.duties)
                        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            DutyActions(screen, busy, model, onReport, onDialog)
                        }
                    }
                }
            }
            if (screen.content.isNotBlank()) {
                item {
                    Column {
                        Section(stringResource(R.string.item_content))
                        Text(screen.content, style = MaterialTheme.typography.bodyMedium)
                    }
                }
            }
            if (screen.photoPairs.isNotEmpty()) {
                item { Section(stringResource(R.string.item_pairs)) }
                items(screen.photoPairs.withIndex().toList(), key = { "pair-" + it.index }) { (index, pair) ->
                    PairCard(repo, index + 1, pair, screen.evidence, onView)
                }
            }
            if (screen.reports.isNotEmpty()) {
                item { Section(stringResource(R.string.item_reports)) }
                items(screen.reports, key = { "report-" + it.id }) { report ->
                    ReportCard(
                        repo = repo,
                        report = report,
                        evidence = screen.evidence.filter { it.report == report.id },
                        canDecide = canApproveReports && report.status == ReportStatus.PENDING_APPROVAL,
                        busy = busy,
                        onView = onView,
                        onDecide = { title -> onDialog(ItemDialog.Decide(Approval.Report, title, report.id)) },
                    )
                }
            }
            // The "before" photos show in their pairs above.
            val paired = screen.photoPairs.map { it.before.hash }.toSet()
            val attachments = screen.evidence.filter { it.report == null && it.file.hash !in paired }
            if (attachments.isNotEmpty()) {
                item {
                    Column {
                        Section(stringResource(R.string.item_attachments))
                        EvidenceRowOf(repo, attachments, onView)
                    }
                }
            }
            item { TrailHeader(screen.verified) }
            items(screen.trail.withIndex().toList(), key = { "trail-" + it.index }) { (_, step) ->
                TrailStep(step, onReply = { note -> replyTo = note })
            }
        }
        HorizontalDivider()
        CommentBar(
            text = comment,
            replying = replyTo != null,
            busy = busy,
            onText = { comment = it },
            onCancelReply = { replyTo = null },
            onSend = {
                model.comment(comment.trim(), replyTo)
                comment = ""
                replyTo = null
            },
        )
    }
}

/** A section's heading. */
@Composable
private fun Section(title: String) {
    Text(title, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(bottom = 4.dp))
}

/** The countdown: working days left (the core's), the deadline, the clock, the light's reason. */
@Composable
private fun CountdownCard(screen: ItemScreen, now: Long) {
    val item = screen.item
    Card(colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceVariant)) {
        Column(Modifier.fillMaxWidth().padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            val days = screen.workingDaysLeft
            Text(
                when {
                    days == null -> stringResource(R.string.working_days_none)
                    days < 0 -> stringResource(R.string.working_days_overdue, -days)
                    else -> stringResource(R.string.working_days_left, days)
                },
                style = MaterialTheme.typography.titleLarge,
                color = if (days != null && days < 0) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurface,
            )
            val deadline = item.deadlineMs
            if (deadline != null) {
                Text(stringResource(R.string.deadline_at, formatDateTime(deadline)), style = MaterialTheme.typography.bodyMedium)
                Text(countdownText(deadline, now), style = MaterialTheme.typography.bodySmall)
            }
            val reason = screen.lightReasonZh?.let { zh -> pick(zh, screen.lightReasonEn ?: zh) }
            if (reason != null) {
                Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(6.dp)) {
                    LightDot(item.light)
                    Text(reason, style = MaterialTheme.typography.bodySmall)
                }
            }
            Text(stringResource(R.string.progress, item.progress.toInt()), style = MaterialTheme.typography.bodySmall)
            LinearProgressIndicator(progress = { item.progress.toInt() / 100f }, modifier = Modifier.fillMaxWidth())
        }
    }
}

/**
 * The buttons for the acts on offer that answer what the item asks (the menu holds the
 * others; report approvals are decided on each report below), then the duties done in the
 * office's pages.
 */
@Composable
private fun DutyActions(
    screen: ItemScreen,
    busy: Boolean,
    model: ItemModel,
    onReport: (ReportKind) -> Unit,
    onDialog: (ItemDialog) -> Unit,
) {
    for (row in screen.acts) {
        when (row.act) {
            Act.RECEIVE -> Button(onClick = model::receive, enabled = !busy) { Text(stringResource(R.string.act_receive)) }
            Act.DECLINE -> OutlinedButton(onClick = { onDialog(ItemDialog.Decline) }, enabled = !busy) { Text(stringResource(R.string.act_decline)) }
            Act.RETURN_ORDER -> OutlinedButton(onClick = { onDialog(ItemDialog.ReturnOrder) }, enabled = !busy) { Text(stringResource(R.string.act_return_order)) }
            Act.REPORT_PROGRESS -> Button(onClick = { onReport(ReportKind.PROGRESS) }, enabled = !busy) { Text(stringResource(R.string.act_report_progress)) }
            Act.REPORT_COMPLETION -> Button(onClick = { onReport(ReportKind.COMPLETION) }, enabled = !busy) { Text(stringResource(R.string.act_report_completion)) }
            Act.REVIEW -> Button(onClick = { onDialog(ItemDialog.Review) }, enabled = !busy) { Text(stringResource(R.string.act_review)) }
            Act.RATE -> Button(onClick = { onDialog(ItemDialog.Rate) }, enabled = !busy) { Text(stringResource(R.string.act_rate)) }
            else -> {
                val approval = Approval.of(row.act)
                if (approval != null && approval != Approval.Report) {
                    val words = screen.duties.firstOrNull { it.duty == approval.duty }?.let { pick(it.zh, it.en) }
                        ?: pick(row.zh, row.en)
                    Button(onClick = { onDialog(ItemDialog.Decide(approval, words)) }, enabled = !busy) { Text(words) }
                }
            }
        }
    }
    for (duty in screen.officeDuties) {
        Text(stringResource(R.string.office_only, pick(duty.zh, duty.en)), style = MaterialTheme.typography.bodySmall)
    }
}

/** One report: who, when, what, its photos with their warnings, and its approval if mine. */
@Composable
private fun ReportCard(
    repo: AppRepository,
    report: ReportRow,
    evidence: List<EvidenceRow>,
    canDecide: Boolean,
    busy: Boolean,
    onView: (Evidence) -> Unit,
    onDecide: (title: String) -> Unit,
) {
    val kind = report.percent?.takeIf { report.kind == ReportKind.PROGRESS }
        ?.let { stringResource(R.string.report_percent, report.kind.label(), it.toInt()) }
        ?: report.kind.label()
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(kind, style = MaterialTheme.typography.titleSmall)
                Tag(report.status.label())
            }
            Text(
                stringResource(R.string.report_by, report.byName, formatDateTime(report.atMs)),
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
            if (report.text.isNotBlank()) Text(report.text, style = MaterialTheme.typography.bodyMedium)
            if (evidence.isNotEmpty()) EvidenceRowOf(repo, evidence, onView)
            if (canDecide) {
                val title = stringResource(R.string.decide_report, kind)
                Button(onClick = { onDecide(title) }, enabled = !busy) { Text(stringResource(R.string.decide)) }
            }
        }
    }
}

/** Files in a row, each with its warnings in the app's language. */
@Composable
private fun EvidenceRowOf(repo: AppRepository, evidence: List<EvidenceRow>, onView: (Evidence) -> Unit) {
    LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        // No keys: the same file may be cited twice (the core warns of it).
        items(evidence) { row ->
            EvidenceTile(repo, row.file, row.localizedWarnings(), onView)
        }
    }
}

/** The reviewer's warnings in the app's language. */
private fun EvidenceRow.localizedWarnings(): List<String> =
    if (english() && warningsEn.size == warnings.size) warningsEn else warnings

/**
 * 整改前后对比: a "before" photo (number [number]) beside the "after" photos that answer it,
 * each with the warnings the item's [evidence] gives it.
 */
@Composable
private fun PairCard(repo: AppRepository, number: Int, pair: PhotoPairRow, evidence: List<EvidenceRow>, onView: (Evidence) -> Unit) {
    fun warnings(file: Evidence): List<String> =
        evidence.firstOrNull { it.file.hash == file.hash }?.localizedWarnings().orEmpty()

    Card(Modifier.fillMaxWidth()) {
        Row(Modifier.fillMaxWidth().padding(12.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            Column(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Text(stringResource(R.string.pair_before, number), style = MaterialTheme.typography.titleSmall)
                EvidenceTile(repo, pair.before, warnings(pair.before), onView, size = PAIR_TILE)
            }
            Column(Modifier.weight(1f), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Text(stringResource(R.string.pair_after), style = MaterialTheme.typography.titleSmall)
                if (pair.after.isEmpty()) {
                    Text(
                        stringResource(R.string.pair_unanswered),
                        style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant,
                    )
                } else {
                    LazyRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        // No keys: the same file may answer twice.
                        items(pair.after) { after ->
                            EvidenceTile(repo, after, warnings(after), onView, size = PAIR_TILE)
                        }
                    }
                }
            }
        }
    }
}

private val PAIR_TILE = 128.dp

/** The trail's heading with whether its hash chain verifies. */
@Composable
private fun TrailHeader(verified: Boolean) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.item_trail), style = MaterialTheme.typography.titleMedium)
        if (verified) {
            Icon(Icons.Filled.Verified, contentDescription = null, tint = Signal.green, modifier = Modifier.size(18.dp))
            Text(stringResource(R.string.trail_verified), color = Signal.green, style = MaterialTheme.typography.bodySmall)
        } else {
            Icon(Icons.Filled.Error, contentDescription = null, tint = MaterialTheme.colorScheme.error, modifier = Modifier.size(18.dp))
            Text(stringResource(R.string.trail_not_verified), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** One step: when, who, what, their words; pending if not yet confirmed; reply to a note. */
@Composable
private fun TrailStep(step: TrailRow, onReply: (String) -> Unit) {
    Column(Modifier.fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(2.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(formatDateTime(step.atMs), style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
            val seq = step.taskSeq
            if (step.pending || seq == null) {
                Tag(stringResource(R.string.trail_pending), MaterialTheme.colorScheme.tertiaryContainer, MaterialTheme.colorScheme.onTertiaryContainer)
            } else {
                Text("#$seq", style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
        }
        Text(step.actorName + " · " + pick(step.titleZh, step.titleEn), style = MaterialTheme.typography.bodyMedium)
        if (step.detail.isNotBlank()) {
            Text(step.detail, style = MaterialTheme.typography.bodySmall)
        }
        val note = step.note
        if (note != null) {
            TextButton(onClick = { onReply(note) }) { Text(stringResource(R.string.reply)) }
        }
        HorizontalDivider()
    }
}

/** The comment field at the bottom, replying to a note when one was chosen. */
@Composable
private fun CommentBar(
    text: String,
    replying: Boolean,
    busy: Boolean,
    onText: (String) -> Unit,
    onCancelReply: () -> Unit,
    onSend: () -> Unit,
) {
    Column(Modifier.fillMaxWidth().padding(horizontal = 12.dp, vertical = 6.dp)) {
        if (replying) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(stringResource(R.string.replying), style = MaterialTheme.typography.labelMedium, modifier = Modifier.weight(1f))
                IconButton(onClick = onCancelReply) { Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.cancel)) }
            }
        }
        Row(verticalAlignment = Alignment.CenterVertically) {
            OutlinedTextField(
                value = text,
                onValueChange = onText,
                placeholder = { Text(stringResource(R.string.comment_hint)) },
                maxLines = 4,
                modifier = Modifier.weight(1f),
            )
            IconButton(onClick = onSend, enabled = !busy && text.isNotBlank()) {
                Icon(Icons.AutoMirrored.Filled.Send, contentDescription = stringResource(R.string.send))
            }
        }
    }
}
