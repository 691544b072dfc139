// The screens' frame: sign-in or the signed-in app, its tabs and its navigation.
package cn.gov.duban.app.ui

import android.Manifest
import android.content.pm.PackageManager
import android.os.Build
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.ErrorOutline
import androidx.compose.material.icons.filled.Inbox
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.TaskAlt
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.key
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import cn.gov.duban.app.R
import cn.gov.duban.app.Session
import cn.gov.duban.app.SessionState
import cn.gov.duban.app.data.AppRepository
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.filterNotNull
import uniffi.duban_ffi.Me
import uniffi.duban_ffi.ReportKind

/** The routes of the signed-in app. */
object Routes {
    const val INBOX = "inbox"
    const val APPROVALS = "approvals"
    const val NOTIFICATIONS = "notifications"
    const val ATTENTION = "attention"
    const val ITEM = "item/{task}"
    const val REPORT = "report/{task}/{kind}"
    const val REGISTER = "register"
    const val PENDING = "pending"

    fun item(task: String) = "item/$task"
    fun report(task: String, kind: ReportKind) = "report/$task/${kind.name}"
}

/** The top of the app: follows the session. */
@Composable
fun DubanRoot(session: Session, openTask: MutableStateFlow<String?>) {
    val state by session.state.collectAsStateWithLifecycle()
    when (val s = state) {
        SessionState.Opening -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
            CircularProgressIndicator()
        }
        is SessionState.SignedOut -> SignInPage(session, s)
        is SessionState.SignedIn -> key(s.repo, s.me.id) {
            SignedInApp(session, s.repo, s.me, openTask)
        }
    }
}

/** A tab of the bottom bar. */
private data class Tab(val route: String, val label: Int, val icon: ImageVector)

private val tabs = listOf(
    Tab(Routes.INBOX, R.string.tab_inbox, Icons.Filled.Inbox),
    Tab(Routes.APPROVALS, R.string.tab_approvals, Icons.Filled.TaskAlt),
    Tab(Routes.NOTIFICATIONS, R.string.tab_notifications, Icons.Filled.Notifications),
    Tab(Routes.ATTENTION, R.string.tab_attention, Icons.Filled.ErrorOutline),
)

/** The bottom bar of the top-level screens. */
@Composable
fun MainTabs(nav: NavHostController) {
    val entry by nav.currentBackStackEntryAsState()
    val current = entry?.destination?.route
    NavigationBar {
        for (tab in tabs) {
            NavigationBarItem(
                selected = current == tab.route,
                onClick = {
                    nav.navigate(tab.route) {
                        popUpTo(nav.graph.findStartDestination().id) { saveState = true }
                        launchSingleTop = true
                        restoreState = true
                    }
                },
                icon = { Icon(tab.icon, contentDescription = null) },
                label = { Text(stringResource(tab.label)) },
            )
        }
    }
}

/** The signed-in app: the inbox first; items, reports, registration, approvals and lists. */
@Composable
fun SignedInApp(session: Session, repo: AppRepository, me: Me, openTask: MutableStateFlow<String?>) {
    val nav = rememberNavController()
    AskForNotifications()
    LaunchedEffect(nav) {
        openTask.filterNotNull().collect { task ->
            nav.navigate(Routes.item(task)) { launchSingleTop = true }
            openTask.value = null
        }
    }
    val tabBar: @Composable () -> Unit = { MainTabs(nav) }
    val open: (String) -> Unit = { task -> nav.navigate(Routes.item(task)) }
    NavHost(nav, startDestination = Routes.INBOX) {
        composable(Routes.INBOX) {
            InboxPage(
                repo,
                session,
                me,
                tabBar,
                onOpen = open,
                onNotifications = { nav.navigate(Routes.NOTIFICATIONS) { launchSingleTop = true } },
                onRegister = { nav.navigate(Routes.REGISTER) { launchSingleTop = true } },
                onPending = { nav.navigate(Routes.PENDING) { launchSingleTop = true } },
            )
        }
        composable(Routes.REGISTER) {
            RegisterPage(
                repo = repo,
                onBack = { nav.popBackStack() },
                // The new item replaces the form: back from it returns to the inbox.
                onRegistered = { task ->
                    nav.navigate(Routes.item(task)) { popUpTo(Routes.REGISTER) { inclusive = true } }
                },
            )
        }
        composable(Routes.PENDING) {
            PendingPage(repo, onBack = { nav.popBackStack() }, onOpen = open)
        }
        composable(Routes.APPROVALS) { ApprovalsPage(repo, tabBar, onOpen = open) }
        composable(Routes.NOTIFICATIONS) { NotificationsPage(repo, tabBar, onOpen = open) }
        composable(Routes.ATTENTION) { AttentionPage(repo, tabBar, onOpen = open) }
        composable(Routes.ITEM, arguments = listOf(navArgument("task") { type = NavType.StringType })) { entry ->
            val task = entry.arguments?.getString("task").orEmpty()
            ItemPage(
                repo = repo,
                me = me,
                task = task,
                onBack = { nav.popBackStack() },
                onReport = { kind -> nav.navigate(Routes.report(task, kind)) },
            )
        }
        composable(
            Routes.REPORT,
            arguments = listOf(
                navArgument("task") { type = NavType.StringType },
                navArgument("kind") { type = NavType.StringType },
            ),
        ) { entry ->
            ReportPage(
                repo = repo,
                task = entry.arguments?.getString("task").orEmpty(),
                kind = entry.arguments?.getString("kind")
                    ?.let { k -> ReportKind.entries.firstOrNull { it.name == k } } ?: ReportKind.PROGRESS,
                onDone = { nav.popBackStack() },
            )
        }
    }
}

/** Asks once for the permission to notify (Android 13 and later). */
@Composable
private fun AskForNotifications() {
    if (Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU) return
    val context = LocalContext.current
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { }
    LaunchedEffect(Unit) {
        val granted = ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) ==
            PackageManager.PERMISSION_GRANTED
        if (!granted) launcher.launch(Manifest.permission.POST_NOTIFICATIONS)
    }
}
