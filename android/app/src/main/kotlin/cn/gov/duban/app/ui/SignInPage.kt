// Sign-in: the server's address, the account and the password; the core's refusal shown in
// its own words (Chinese first).
package cn.gov.duban.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.gov.duban.app.R
import cn.gov.duban.app.Session
import cn.gov.duban.app.SessionState
import cn.gov.duban.app.data.english
import cn.gov.duban.app.data.enText
import cn.gov.duban.app.data.zhText

/** The sign-in screen; [state] carries the server last used and why the session ended. */
@Composable
fun SignInPage(session: Session, state: SessionState.SignedOut) {
    val model = viewModel { SignInModel(session, state.serverUrl) }
    val url by model.serverUrl.collectAsStateWithLifecycle()
    val username by model.username.collectAsStateWithLifecycle()
    val password by model.password.collectAsStateWithLifecycle()
    val busy by model.busy.collectAsStateWithLifecycle()
    val failed by model.error.collectAsStateWithLifecycle()
    val error = failed ?: state.error
    val ready = !busy && url.isNotBlank() && username.isNotBlank() && password.isNotEmpty()

    Surface(Modifier.fillMaxSize()) {
        Column(
            Modifier
                .safeDrawingPadding()
                .imePadding()
                .verticalScroll(rememberScrollState())
                .padding(24.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
        ) {
            Text(stringResource(R.string.app_name), style = MaterialTheme.typography.headlineMedium)
            Text(stringResource(R.string.signin_subtitle), style = MaterialTheme.typography.bodyMedium)
            OutlinedTextField(
                value = url,
                onValueChange = { model.serverUrl.value = it },
                label = { Text(stringResource(R.string.signin_server)) },
                placeholder = { Text("https://duban.example.gov.cn") },
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri, imeAction = ImeAction.Next),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = username,
                onValueChange = { model.username.value = it },
                label = { Text(stringResource(R.string.signin_username)) },
                singleLine = true,
                keyboardOptions = KeyboardOptions(imeAction = ImeAction.Next),
                modifier = Modifier.fillMaxWidth(),
            )
            OutlinedTextField(
                value = password,
                onValueChange = { model.password.value = it },
                label = { Text(stringResource(R.string.signin_password)) },
                singleLine = true,
                visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password, imeAction = ImeAction.Done),
                keyboardActions = KeyboardActions(onDone = { if (ready) model.signIn() }),
                modifier = Modifier.fillMaxWidth(),
            )
            if (error != null) {
                // The core's sentence in Chinese; in an English UI, its English beneath.
                Text(error.zhText, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodyMedium)
                if (english()) {
                    Text(error.enText, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
                }
            }
            Button(onClick = model::signIn, enabled = ready, modifier = Modifier.fillMaxWidth()) {
                if (busy) {
                    CircularProgressIndicator(Modifier.size(20.dp), strokeWidth = 2.dp)
                } else {
                    Text(stringResource(R.string.signin_button))
                }
            }
        }
    }
}
