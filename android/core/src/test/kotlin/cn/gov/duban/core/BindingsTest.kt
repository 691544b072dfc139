// The generated Kotlin bindings on the JVM against the real library and a real server
// (`duban serve --demo` on loopback, started by scripts/kotlin-test): sign-in and the first
// sync, the inbox in one call, receiving an item, and the errors mapped to the small enum
// without a panic crossing the boundary.
package cn.gov.duban.core

import kotlinx.coroutines.runBlocking
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.SyncStatus
import java.nio.file.Files

private var passed = 0
private var failed = 0

private fun check(name: String, body: suspend () -> Unit) {
    try {
        runBlocking { body() }
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

private fun expect(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

private fun store(): String = Files.createTempDirectory("duban-kt").resolve("store.db").toString()

fun main() {
    val server = System.getenv("DUBAN_URL") ?: error("DUBAN_URL is not set")

    check("sign in and the first sync bring the person's items") {
        val app = DubanApp.open(store(), server)
        val me = app.signIn("supervisor", "duban-demo")
        expect(me.username == "supervisor") { "signed in as ${me.username}" }
        val report = app.syncNow()
        expect(report.events > 0uL) { "no events taken in: $report" }
        expect(app.syncStatus() is SyncStatus.Idle) { "status ${app.syncStatus()}" }
    }

    check("the inbox is one call with rows, the unread count and the sync status") {
        val app = DubanApp.open(store(), server)
        app.signIn("supervisor", "duban-demo")
        app.syncNow()
        val inbox = app.inbox()
        expect(inbox.rows.isNotEmpty()) { "an empty inbox for the supervisor" }
        expect(inbox.rows.all { it.duties.isNotEmpty() }) { "a row without a duty" }
        expect(inbox.rows.all { it.item.title.isNotBlank() }) { "a row without a title" }
    }

    check("a wrong password is Invalid, with a code and both languages") {
        val app = DubanApp.open(store(), server)
        try {
            app.signIn("supervisor", "wrong")
            throw AssertionError("signed in with a wrong password")
        } catch (e: DubanException.Invalid) {
            expect(e.code.isNotBlank() && e.zh.isNotBlank() && e.en.isNotBlank()) { "$e" }
        }
    }

    check("an unreachable server is Offline") {
        val app = DubanApp.open(store(), "http://127.0.0.1:9")
        try {
            app.signIn("supervisor", "duban-demo")
            throw AssertionError("signed in to nowhere")
        } catch (e: DubanException.Offline) {
            expect(e.code.isNotBlank()) { "$e" }
        }
    }

    check("acting before signing in is SignedOut, and a bad id is Invalid") {
        val app = DubanApp.open(store(), server)
        try {
            app.syncNow()
            throw AssertionError("synced while signed out")
        } catch (e: DubanException.SignedOut) {
            expect(e.code.isNotBlank()) { "$e" }
        }
        try {
            app.receive("not-a-uuid")
            throw AssertionError("received a bad id")
        } catch (e: DubanException.Invalid) {
            expect(e.code == "input.task") { "$e" }
        }
    }

    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
