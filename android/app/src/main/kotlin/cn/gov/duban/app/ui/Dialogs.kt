// The dialogs of the acts: a reason or text, an approval with its opinion, a review, a
// rating (1–5 stars), an extension with its new deadline, a work order's committed deadline
// (a date and a whole hour), a decomposition.
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Star
import androidx.compose.material.icons.filled.StarBorder
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Checkbox
import androidx.compose.material3.DatePicker
import androidx.compose.material3.DatePickerDialog
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TimeInput
import androidx.compose.material3.rememberDatePickerState
import androidx.compose.material3.rememberTimePickerState
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import cn.gov.duban.app.R
import cn.gov.duban.app.data.localized
import cn.gov.duban.app.data.pick
import cn.gov.duban.core.Screen
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import java.util.Locale
import uniffi.duban_ffi.UnitRow

/** A multi-line text field for a reason, an opinion or an instruction. */
@Composable
private fun Words(value: String, onChange: (String) -> Unit, label: String) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        minLines = 3,
        modifier = Modifier
            .fillMaxWidth()
            .heightIn(min = 96.dp),
    )
}

/** Asks for one text (a reason for declining, suspending, resuming; an instruction). */
@Composable
fun TextDialog(
    title: String,
    label: String,
    confirm: String,
    onDismiss: () -> Unit,
    onConfirm: (String) -> Unit,
) {
    var text by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(title) },
        text = { Words(text, { text = it }, label) },
        confirmButton = {
            TextButton(onClick = { onConfirm(text.trim()) }, enabled = text.isNotBlank()) { Text(confirm) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/** An approval: agree or refuse, with an opinion. */
@Composable
fun DecisionDialog(
    title: String,
    onDismiss: () -> Unit,
    onDecide: (approve: Boolean, opinion: String) -> Unit,
) {
    var opinion by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(title) },
        text = { Words(opinion, { opinion = it }, stringResource(R.string.opinion)) },
        confirmButton = {
            TextButton(onClick = { onDecide(true, opinion.trim()) }) { Text(stringResource(R.string.approve)) }
        },
        dismissButton = {
            Row {
                TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) }
                // Refusing needs its reason.
                TextButton(onClick = { onDecide(false, opinion.trim()) }, enabled = opinion.isNotBlank()) {
                    Text(stringResource(R.string.refuse), color = MaterialTheme.colorScheme.error)
                }
            }
        },
    )
}

/** 复核: accept, or return for rework with a new deadline if one is set. */
@Composable
fun ReviewDialog(
    deadlineMs: Long?,
    onDismiss: () -> Unit,
    onReview: (accept: Boolean, opinion: String, newDeadlineMs: Long?) -> Unit,
) {
    var opinion by rememberSaveable { mutableStateOf("") }
    var redate by rememberSaveable { mutableStateOf(false) }
    var newDeadline by remember { mutableStateOf<Long?>(null) }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.act_review)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Words(opinion, { opinion = it }, stringResource(R.string.opinion))
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Checkbox(checked = redate, onCheckedChange = { redate = it })
                    Text(stringResource(R.string.review_new_deadline))
                }
                if (redate) DeadlinePicker(deadlineMs) { newDeadline = it }
            }
        },
        confirmButton = {
            TextButton(onClick = { onReview(true, opinion.trim(), null) }) { Text(stringResource(R.string.review_accept)) }
        },
        dismissButton = {
            Row {
                TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) }
                TextButton(
                    onClick = { onReview(false, opinion.trim(), if (redate) newDeadline else null) },
                    enabled = opinion.isNotBlank() && (!redate || newDeadline != null),
                ) { Text(stringResource(R.string.review_return), color = MaterialTheme.colorScheme.error) }
            }
        },
    )
}

/** 领导评价: one to five stars and a word. */
@Composable
fun RateDialog(onDismiss: () -> Unit, onRate: (stars: Int, opinion: String) -> Unit) {
    var stars by rememberSaveable { mutableIntStateOf(0) }
    var opinion by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.act_rate)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Row {
                    for (n in 1..5) {
                        IconButton(onClick = { stars = n }) {
                            Icon(
                                if (n <= stars) Icons.Filled.Star else Icons.Filled.StarBorder,
                                contentDescription = stringResource(R.string.stars, n),
                                tint = MaterialTheme.colorScheme.primary,
                            )
                        }
                    }
                }
                Words(opinion, { opinion = it }, stringResource(R.string.opinion))
            }
        },
        confirmButton = {
            TextButton(onClick = { onRate(stars, opinion.trim()) }, enabled = stars in 1..5) {
                Text(stringResource(R.string.submit))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/** 延时申请: the deadline asked for — a date and a whole hour, as the core takes it — and why. */
@Composable
fun ExtensionDialog(deadlineMs: Long?, onDismiss: () -> Unit, onRequest: (untilMs: Long, reason: String) -> Unit) {
    var until by remember { mutableStateOf<Long?>(null) }
    var reason by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.act_extension)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.extension_until), style = MaterialTheme.typography.labelLarge)
                DateHourPicker(deadlineMs) { until = it }
                Words(reason, { reason = it }, stringResource(R.string.reason))
            }
        },
        confirmButton = {
            val chosen = until
            TextButton(
                onClick = { if (chosen != null) onRequest(chosen, reason.trim()) },
                enabled = chosen != null && reason.isNotBlank(),
            ) { Text(stringResource(R.string.submit)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/**
 * 申请承诺件: the deadline a work order's unit commits to — a date and a whole hour, as the
 * core takes it — and why (the hotline office decides).
 */
@Composable
fun CommitmentDialog(deadlineMs: Long?, onDismiss: () -> Unit, onRequest: (untilMs: Long, reason: String) -> Unit) {
    var until by remember { mutableStateOf<Long?>(null) }
    var reason by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.act_commitment)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.commitment_until), style = MaterialTheme.typography.labelLarge)
                DateHourPicker(deadlineMs) { until = it }
                Words(reason, { reason = it }, stringResource(R.string.reason))
            }
        },
        confirmButton = {
            val chosen = until
            TextButton(
                onClick = { if (chosen != null) onRequest(chosen, reason.trim()) },
                enabled = chosen != null && reason.isNotBlank(),
            ) { Text(stringResource(R.string.submit)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/**
 * 分解: a sub-item's title, content and lead unit (one of [units], those below mine), and a
 * deadline if one is set (proposed: the item's, [deadlineMs]).
 */
@Composable
fun DecomposeDialog(
    units: Screen<List<UnitRow>>,
    deadlineMs: Long?,
    onDismiss: () -> Unit,
    onDecompose: (title: String, content: String, leadUnit: String, deadlineMs: Long?) -> Unit,
) {
    var title by rememberSaveable { mutableStateOf("") }
    var content by rememberSaveable { mutableStateOf("") }
    var unit by rememberSaveable { mutableStateOf<String?>(null) }
    var dated by rememberSaveable { mutableStateOf(false) }
    var deadline by remember { mutableStateOf<Long?>(null) }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.act_decompose)) },
        text = {
            Column(Modifier.verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(
                    value = title,
                    onValueChange = { title = it },
                    label = { Text(stringResource(R.string.decompose_title)) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth(),
                )
                Words(content, { content = it }, stringResource(R.string.decompose_content))
                Text(stringResource(R.string.decompose_unit), style = MaterialTheme.typography.labelLarge)
                when (units) {
                    Screen.Loading -> Text(stringResource(R.string.loading), style = MaterialTheme.typography.bodySmall)
                    is Screen.Failed -> Text(units.error.localized(), color = MaterialTheme.colorScheme.error)
                    is Screen.Ready -> if (units.value.isEmpty()) {
                        Text(stringResource(R.string.decompose_no_units), color = MaterialTheme.colorScheme.onSurfaceVariant)
                    } else {
                        Picker(
                            selected = units.value.firstOrNull { it.id == unit },
                            options = units.value,
                            label = { pick(it.name, it.nameEn) },
                            placeholder = stringResource(R.string.decompose_pick_unit),
                            onPick = { unit = it.id },
                        )
                    }
                }
                OptionalDeadline(
                    label = stringResource(R.string.decompose_deadline),
                    checked = dated,
                    onChecked = { dated = it },
                    initialMs = deadlineMs,
                    onChange = { deadline = it },
                )
            }
        },
        confirmButton = {
            val lead = unit
            TextButton(
                onClick = { if (lead != null) onDecompose(title.trim(), content.trim(), lead, if (dated) deadline else null) },
                enabled = title.isNotBlank() && lead != null && (!dated || deadline != null),
            ) { Text(stringResource(R.string.act_decompose)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

private val dateOnly = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC)

/**
 * A date (the date picker's, midnight UTC) and a time of day (the phone's zone), giving a
 * deadline in milliseconds since the epoch to [onChange] (none until a date is chosen).
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DeadlinePicker(initialMs: Long?, onChange: (Long?) -> Unit) {
    val zone = ZoneId.systemDefault()
    val initial = initialMs?.let { Instant.ofEpochMilli(it).atZone(zone) }
    var dateUtc by rememberSaveable {
        mutableStateOf(initial?.toLocalDate()?.atStartOfDay(ZoneOffset.UTC)?.toInstant()?.toEpochMilli())
    }
    val time = rememberTimePickerState(
        initialHour = initial?.hour ?: 17,
        initialMinute = initial?.minute ?: 30,
        is24Hour = true,
    )
    var picking by remember { mutableStateOf(false) }
    LaunchedEffect(dateUtc, time.hour, time.minute) {
        onChange(
            dateUtc?.let { d ->
                Instant.ofEpochMilli(d).atZone(ZoneOffset.UTC).toLocalDate()
                    .atTime(time.hour, time.minute)
                    .atZone(zone)
                    .toInstant()
                    .toEpochMilli()
            },
        )
    }
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedButton(onClick = { picking = true }) {
            Text(dateUtc?.let { dateOnly.format(Instant.ofEpochMilli(it)) } ?: stringResource(R.string.pick_date))
        }
        TimeInput(state = time)
    }
    if (picking) {
        val state = rememberDatePickerState(initialSelectedDateMillis = dateUtc)
        DatePickerDialog(
            onDismissRequest = { picking = false },
            confirmButton = {
                TextButton(onClick = {
                    dateUtc = state.selectedDateMillis ?: dateUtc
                    picking = false
                }) { Text(stringResource(R.string.ok)) }
            },
            dismissButton = { TextButton(onClick = { picking = false }) { Text(stringResource(R.string.cancel)) } },
        ) {
            DatePicker(state = state)
        }
    }
}

/**
 * A date (the date picker's, midnight UTC) and a whole hour of the day (the phone's zone),
 * giving an instant on the hour in milliseconds since the epoch to [onChange] (none until a
 * date is chosen); it starts at [initialMs]'s date and hour.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DateHourPicker(initialMs: Long?, onChange: (Long?) -> Unit) {
    val zone = ZoneId.systemDefault()
    val initial = initialMs?.let { Instant.ofEpochMilli(it).atZone(zone) }
    var dateUtc by rememberSaveable {
        mutableStateOf(initial?.toLocalDate()?.atStartOfDay(ZoneOffset.UTC)?.toInstant()?.toEpochMilli())
    }
    var hour by rememberSaveable { mutableIntStateOf(initial?.hour ?: 17) }
    var picking by remember { mutableStateOf(false) }
    LaunchedEffect(dateUtc, hour) {
        onChange(
            dateUtc?.let { d ->
                Instant.ofEpochMilli(d).atZone(ZoneOffset.UTC).toLocalDate()
                    .atTime(hour, 0)
                    .atZone(zone)
                    .toInstant()
                    .toEpochMilli()
            },
        )
    }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
        OutlinedButton(onClick = { picking = true }) {
            Text(dateUtc?.let { dateOnly.format(Instant.ofEpochMilli(it)) } ?: stringResource(R.string.pick_date))
        }
        Picker(
            selected = hour,
            options = (0..23).toList(),
            label = { String.format(Locale.ROOT, "%02d:00", it) },
            placeholder = stringResource(R.string.pick_hour),
            onPick = { hour = it },
        )
    }
    if (picking) {
        val state = rememberDatePickerState(initialSelectedDateMillis = dateUtc)
        DatePickerDialog(
            onDismissRequest = { picking = false },
            confirmButton = {
                TextButton(onClick = {
                    dateUtc = state.selectedDateMillis ?: dateUtc
                    picking = false
                }) { Text(stringResource(R.string.ok)) }
            },
            dismissButton = { TextButton(onClick = { picking = false }) { Text(stringResource(R.string.cancel)) } },
        ) {
            DatePicker(state = state)
        }
    }
}
