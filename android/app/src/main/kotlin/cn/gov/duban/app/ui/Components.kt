// Small pieces the screens share: the light dot, tags, the sync status bar, the deadline
// countdown, times, and the loading, empty and error states.
package cn.gov.duban.app.ui

import androidx.annotation.StringRes
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.produceState
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import cn.gov.duban.app.R
import cn.gov.duban.app.data.Countdown
import cn.gov.duban.app.data.label
import cn.gov.duban.app.data.localized
import cn.gov.duban.app.data.pick
import uniffi.duban_ffi.Light
import uniffi.duban_ffi.Urgency
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.DutyRow
import uniffi.duban_ffi.SyncStatus

/** Something a screen tells with a snackbar: an act done, or why it was refused. */
sealed interface Notice {
    /** A message of the app's own: an act done, the camera failing. */
    data class Info(@StringRes val text: Int) : Notice

    /** Refused or failed, with the core's reason. */
    data class Failed(val error: DubanException) : Notice
}

/** Shows each [Notice] in [host] as it comes. */
@Composable
fun NoticeEffect(notices: Flow<Notice>, host: SnackbarHostState) {
    val context = LocalContext.current
    LaunchedEffect(notices) {
        notices.collect { notice ->
            val text = when (notice) {
                is Notice.Info -> context.getString(notice.text)
                is Notice.Failed -> notice.error.localized()
            }
            host.showSnackbar(text)
        }
    }
}

private val dateTime = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault())
private val shortTime = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(ZoneId.systemDefault())

/** `2026-12-01 17:30`, in the phone's time zone. */
fun formatDateTime(ms: Long): String = dateTime.format(Instant.ofEpochMilli(ms))

/** `12-01 17:30`. */
fun formatShort(ms: Long): String = shortTime.format(Instant.ofEpochMilli(ms))

/** The clock, ticking every [periodMs], for countdowns. */
@Composable
fun rememberNow(periodMs: Long = 30_000): Long {
    val now by produceState(System.currentTimeMillis(), periodMs) {
        while (true) {
            delay(periodMs)
            value = System.currentTimeMillis()
        }
    }
    return now
}

/** The colour of a light; grey where no clock runs. */
fun lightColor(light: Light?): Color = when (light) {
    Light.GREEN -> Signal.green
    Light.YELLOW -> Signal.yellow
    Light.RED -> Signal.red
    null -> Signal.none
}

/** The timeliness light as a dot. */
@Composable
fun LightDot(light: Light?, modifier: Modifier = Modifier) {
    Box(
        modifier
            .size(12.dp)
            .background(lightColor(light), CircleShape),
    )
}

/** A small label on a tinted background. */
@Composable
fun Tag(text: String, container: Color = MaterialTheme.colorScheme.secondaryContainer, content: Color = MaterialTheme.colorScheme.onSecondaryContainer) {
    Surface(color = container, contentColor = content, shape = MaterialTheme.shapes.small) {
        Text(text, style = MaterialTheme.typography.labelMedium, modifier = Modifier.padding(horizontal = 6.dp, vertical = 2.dp))
    }
}

/** The urgency in the core's words, tinted by how urgent. */
@Composable
fun UrgencyTag(urgency: Urgency) {
    when (urgency) {
        Urgency.EXTRA_URGENT -> Tag(urgency.label(), Signal.red, Color.White)
        Urgency.URGENT -> Tag(urgency.label(), Signal.orange, Color.White)
        Urgency.NORMAL -> Tag(urgency.label())
    }
}

/** What the item asks of me, in the core's words. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DutyTags(duties: List<DutyRow>, modifier: Modifier = Modifier) {
    FlowRow(modifier, horizontalArrangement = Arrangement.spacedBy(6.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        for (duty in duties) {
            Tag(pick(duty.zh, duty.en), MaterialTheme.colorScheme.primaryContainer, MaterialTheme.colorScheme.onPrimaryContainer)
        }
    }
}

/** The calendar countdown to [deadlineMs] (剩余 2 天 3 小时 / 已超期 …), or 无期限. */
@Composable
fun countdownText(deadlineMs: Long?, nowMs: Long): String {
    if (deadlineMs == null) return stringResource(R.string.countdown_none)
    val c = Countdown.of(deadlineMs, nowMs)
    return when {
        c.overdue && c.days > 0 -> stringResource(R.string.countdown_overdue_days, c.days, c.hours)
        c.overdue -> stringResource(R.string.countdown_overdue_hours, c.hours, c.minutes)
        c.days > 0 -> stringResource(R.string.countdown_left_days, c.days, c.hours)
        else -> stringResource(R.string.countdown_left_hours, c.hours, c.minutes)
    }
}

/**
 * The sync status bar: when last synced, progress, offline with the retry time, or why it
 * failed. With [onClick], it says so and opens the waiting-to-send list.
 */
@Composable
fun SyncBar(status: SyncStatus, modifier: Modifier = Modifier, onClick: (() -> Unit)? = null) {
    val (text, color) = when (status) {
        is SyncStatus.Idle -> Pair(
            status.lastSyncedMs?.let { stringResource(R.string.sync_idle, formatShort(it)) }
                ?: stringResource(R.string.sync_never),
            MaterialTheme.colorScheme.surfaceVariant,
        )
        is SyncStatus.Syncing -> Pair(
            if (status.total > 0uL) {
                stringResource(R.string.sync_progress, status.done.toLong(), status.total.toLong())
            } else {
                stringResource(R.string.sync_running)
            },
            MaterialTheme.colorScheme.primaryContainer,
        )
        is SyncStatus.Offline -> Pair(
            stringResource(R.string.sync_offline, formatShort(status.retryAtMs)),
            MaterialTheme.colorScheme.tertiaryContainer,
        )
        is SyncStatus.Error -> Pair(
            stringResource(R.string.sync_error, pick(status.zh, status.en)),
            MaterialTheme.colorScheme.errorContainer,
        )
    }
    val tappable = if (onClick != null) Modifier.clickable(onClick = onClick) else Modifier
    Surface(color = color, modifier = modifier.fillMaxWidth()) {
        Column(Modifier.fillMaxWidth().then(tappable)) {
            Row(Modifier.padding(horizontal = 16.dp, vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(text, style = MaterialTheme.typography.bodySmall, modifier = Modifier.weight(1f))
                if (onClick != null) {
                    Text(
                        stringResource(R.string.sync_bar_pending),
                        style = MaterialTheme.typography.labelSmall,
                        color = MaterialTheme.colorScheme.primary,
                    )
                }
            }
            if (status is SyncStatus.Syncing) {
                if (status.total > 0uL) {
                    val fraction = (status.done.toDouble() / status.total.toDouble()).toFloat().coerceIn(0f, 1f)
                    LinearProgressIndicator(progress = { fraction }, modifier = Modifier.fillMaxWidth())
                } else {
                    LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
                }
            }
        }
    }
}

/** A centred message for an empty list or a failure. */
@Composable
fun Message(text: String, modifier: Modifier = Modifier, color: Color = MaterialTheme.colorScheme.onSurfaceVariant) {
    Box(modifier.fillMaxWidth().padding(32.dp), contentAlignment = Alignment.Center) {
        Text(text, color = color, textAlign = TextAlign.Center, style = MaterialTheme.typography.bodyMedium)
    }
}

/** Why a screen could not be read. */
@Composable
fun Failure(error: DubanException, modifier: Modifier = Modifier) {
    Message(error.localized(), modifier, MaterialTheme.colorScheme.error)
}
