// The one activity: Compose from the session's state; opens the item a notification names.
package cn.gov.duban.app

import android.content.Intent
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import cn.gov.duban.app.push.Notifier
import cn.gov.duban.app.ui.DubanRoot
import cn.gov.duban.app.ui.DubanTheme
import kotlinx.coroutines.flow.MutableStateFlow

/** Hosts the app's screens. */
class MainActivity : ComponentActivity() {
    /** The item a tapped notification asks to open, until the screens have opened it. */
    private val openTask = MutableStateFlow<String?>(null)

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        if (savedInstanceState == null) openTask.value = intent?.getStringExtra(Notifier.EXTRA_TASK)
        setContent {
            DubanTheme {
                DubanRoot(session = duban.session, openTask = openTask)
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        intent.getStringExtra(Notifier.EXTRA_TASK)?.let { openTask.value = it }
    }
}
