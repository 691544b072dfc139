// Pieces of the forms: a picker among options, the urgency, and an optional deadline.
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.ArrowDropDown
import androidx.compose.material3.Checkbox
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.gov.duban.app.data.label
import uniffi.duban_ffi.Urgency

/** One of [options], chosen from a menu under a button that shows the choice (or [placeholder]). */
@Composable
fun <T> Picker(
    selected: T?,
    options: List<T>,
    label: (T) -> String,
    placeholder: String,
    onPick: (T) -> Unit,
    modifier: Modifier = Modifier,
    enabled: Boolean = true,
) {
    var open by remember { mutableStateOf(false) }
    Box(modifier) {
        OutlinedButton(onClick = { open = true }, enabled = enabled, modifier = Modifier.fillMaxWidth()) {
            Text(if (selected != null) label(selected) else placeholder, modifier = Modifier.weight(1f))
            Icon(Icons.Filled.ArrowDropDown, contentDescription = null)
        }
        DropdownMenu(expanded = open, onDismissRequest = { open = false }) {
            for (option in options) {
                DropdownMenuItem(
                    text = { Text(label(option)) },
                    onClick = {
                        open = false
                        onPick(option)
                    },
                )
            }
        }
    }
}

/** The urgency, one chip per value (least urgent first), named by the core. */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalLayoutApi::class)
@Composable
fun UrgencyChoice(selected: Urgency, onSelect: (Urgency) -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        for (urgency in Urgency.entries) {
            FilterChip(
                selected = selected == urgency,
                onClick = { onSelect(urgency) },
                label = { Text(urgency.label()) },
            )
        }
    }
}

/** A deadline only when [checked]: the box, then the date and time (see [DeadlinePicker]). */
@Composable
fun OptionalDeadline(
    label: String,
    checked: Boolean,
    onChecked: (Boolean) -> Unit,
    initialMs: Long?,
    onChange: (Long?) -> Unit,
) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Checkbox(checked = checked, onCheckedChange = onChecked)
            Text(label)
        }
        if (checked) DeadlinePicker(initialMs, onChange)
    }
}
