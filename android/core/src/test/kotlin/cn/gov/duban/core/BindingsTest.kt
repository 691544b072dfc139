// The generated Kotlin bindings on the JVM against the real library and a real server
// (`duban serve --demo` on loopback, started and stopped by these tests; the binary's path
// comes from DUBAN_BIN, set by scripts/kotlin-test). Sign-in and the first sync, the inbox in
// one call, receiving an item, a report with a photo written while the server is stopped and
// delivered once it is back, a leader approving an extension, a rating — and the errors
// mapped to the small enum without a panic crossing the boundary.
package cn.gov.duban.core

import kotlinx.coroutines.runBlocking
import uniffi.duban_ffi.Capture
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Observer
import uniffi.duban_ffi.SyncStatus
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream


import java.nio.file.Files

import javax.imageio.ImageIO

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

/** A JPEG as a phone camera makes one: a scene with some structure, 1200 × 900. */
private fun cameraJpeg(): ByteArray {
    val img = BufferedImage(1200, 900, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    for (i in 0 until 12) {
        g.color = Color(20 * i, 255 - 15 * i, (37 * i) % 255)
        g.fillRect(i * 100, 0, 100, 900)
    }
    g.dispose()
    val out = ByteArrayOutputStream()
    ImageIO.write(img, "jpg", out)
    return out.toByteArray()
}

private suspend fun phone(server: Server, username: String): DubanApp {
    val app = DubanApp.open(store(), server.url)
    app.signIn(username, "duban-demo")
    app.syncNow()
    return app
}

fun main() {
    val bin = System.getenv("DUBAN_BIN") ?: error("DUBAN_BIN is not set")
    val server = Server(bin).start()
    try {
        check("sign in and the first sync bring the person's items") {
            val app = DubanApp.open(store(), server.url)
            val me = app.signIn("supervisor", "duban-demo")
            expect(me.username == "supervisor") { "signed in as ${me.username}" }
            val report = app.syncNow()
            expect(report.events > 0uL) { "no events taken in: $report" }
            expect(app.syncStatus() is SyncStatus.Idle) { "status ${app.syncStatus()}" }
        }

        check("the inbox is one call with rows, the unread count and the sync status") {
            val inbox = phone(server, "supervisor").inbox()
            expect(inbox.rows.isNotEmpty()) { "an empty inbox for the supervisor" }
            expect(inbox.rows.all { it.duties.isNotEmpty() }) { "a row without a duty" }
            expect(inbox.rows.all { it.item.title.isNotBlank() }) { "a row without a title" }
        }

        check("receive, report with a photo while the server is down, review and rate") {
            val head = phone(server, "head-wjj")
            val row = head.inbox().rows.firstOrNull { r -> r.duties.any { it.duty == "receive" } }
                ?: throw AssertionError("nothing to receive: ${head.inbox().rows}")
            val task = row.item.id
            head.receive(task)
            head.syncNow()
            expect(head.item(task)!!.item.status == "in_progress") { "not received" }

            server.stop()
            val photo = head.attachPhoto(
                cameraJpeg(),
                Capture(true, 480, 39.9087, 116.3975, "县卫健局", task, null),
            )
            expect(photo.mime == "image/jpeg" && photo.size > 0uL) { "$photo" }
            head.reportCompletion(task, "已完成设备摸排,形成盘活利用方案,见现场照片。", listOf(photo))
            try {
                head.syncNow()
                throw AssertionError("synced with the server down")
            } catch (e: DubanException.Offline) {
                expect(e.zh.isNotBlank()) { "$e" }
            }
            expect(head.pendingCount() >= 1u) { "the report is not kept" }
            val waiting = head.item(task)!!
            expect(waiting.trail.any { it.pending }) { "the pending step is not shown" }

            server.start()
            val sent = head.syncNow()
            expect(sent.accepted >= 1uL && sent.uploaded >= 1uL) { "$sent" }
            expect(head.pendingCount() == 0u) { "still pending" }
            expect(head.item(task)!!.item.status == "under_review") { "${head.item(task)}" }

            val sup = phone(server, "supervisor")
            sup.review(task, true, "方案可行,同意。", null)
            sup.syncNow()
            val leader = phone(server, "deputy3")
            leader.rate(task, 5u, "摸排细致,方案务实。")
            leader.syncNow()
            head.syncNow()
            val done = head.item(task)!!
            expect(done.verified) { "the trail does not verify" }
            expect(done.trail.any { it.titleEn.contains("Rated", ignoreCase = true) }) {
                "no rating in ${done.trail.map { it.titleEn }}"
            }
        }

        check("a leader approves an extension from the approvals list") {
            val deputy = phone(server, "deputy3")
            val row = deputy.approvals().firstOrNull { r -> r.duties.any { it.duty == "decide_extension" } }
                ?: throw AssertionError("no extension to decide: ${deputy.approvals()}")
            val before = row.item.deadlineMs
            deputy.decideExtension(row.item.id, true, "同意延期。")
            val r = deputy.syncNow()
            expect(r.accepted == 1uL) { "$r" }
            val after = deputy.item(row.item.id)!!.item.deadlineMs
            expect(after != null && before != null && after > before) { "deadline $before -> $after" }
        }

        check("the repository publishes the inbox and the sync status as flows") {
            val repo = DubanRepository(DubanApp.open(store(), server.url))
            expect(repo.inbox.value is Screen.Loading) { "${repo.inbox.value}" }
            repo.signIn("head-jyj", "duban-demo")
            val vm = InboxViewModel(repo)
            val screen = vm.screen.value
            expect(screen is Screen.Ready && screen.value.rows.isNotEmpty()) { "$screen" }
            // The status arrives from the core's thread: wait for it, briefly.
            val until = System.currentTimeMillis() + 5_000
            while (vm.sync.value !is SyncStatus.Idle && System.currentTimeMillis() < until) {
                Thread.sleep(20)
            }
            expect(vm.sync.value is SyncStatus.Idle) { "${vm.sync.value}" }
            // An act refreshes the screens and goes out at once.
            val row = (screen as Screen.Ready).value.rows.first { r -> r.duties.any { it.duty == "receive" } }
            val seen = repo.changes.value
            repo.receive(row.item.id)
            expect(repo.changes.value > seen) { "no change published" }
            val item = repo.item(row.item.id)
            expect(item is Screen.Ready && item.value!!.pending == 0u) { "$item" }
            val after = vm.screen.value as Screen.Ready
            expect(after.value.rows.none { r -> r.item.id == row.item.id && r.duties.any { it.duty == "receive" } }) {
                "still asked to receive"
            }
        }

        check("an observer hears the sync status change and the data change") {
            val app = DubanApp.open(store(), server.url)
            val statuses = java.util.concurrent.CopyOnWriteArrayList<SyncStatus>()
            val changes = java.util.concurrent.atomic.AtomicInteger()
            app.observe(object : Observer {
                override fun syncChanged(status: SyncStatus) {
                    statuses.add(status)
                }

                override fun dataChanged() {
                    changes.incrementAndGet()
                }
            })
            app.signIn("staff-wjj", "duban-demo")
            app.syncNow()
            val deadline = System.currentTimeMillis() + 5_000
            while (System.currentTimeMillis() < deadline &&
                !(statuses.any { it is SyncStatus.Syncing } && statuses.last() is SyncStatus.Idle)
            ) {
                Thread.sleep(20)
            }
            expect(statuses.any { it is SyncStatus.Syncing }) { "never syncing: $statuses" }
            expect(statuses.last() is SyncStatus.Idle) { "ended $statuses" }
            expect(changes.get() >= 1) { "no data change" }
            expect(app.syncInBackground() != null) { "a background sync waited without a failure" }
        }

        check("a wrong password is Invalid, with a code and both languages") {
            val app = DubanApp.open(store(), server.url)
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

        check("signed out is SignedOut; bad ids, codes and photos are Invalid; the rules Rejected") {
            val app = DubanApp.open(store(), server.url)
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
            val staff = phone(server, "staff-wjj")
            try {
                staff.registerPush("android", "carrier-pigeon", "t", "1.0")
                throw AssertionError("an unknown provider was taken")
            } catch (e: DubanException.Invalid) {
                expect(e.code == "input.code") { "$e" }
            }
            try {
                staff.attachPhoto(byteArrayOf(1, 2, 3), Capture(true, 480, null, null, null, null, null))
                throw AssertionError("three bytes made a photo")
            } catch (e: DubanException) {
                expect(e !is DubanException.Internal) { "a bad photo is the input's fault: $e" }
            }
            val item = staff.inbox().rows.firstOrNull()?.item?.id
                ?: phone(server, "supervisor").inbox().rows.first().item.id
            try {
                staff.rate(item, 5u, "很好")
                throw AssertionError("a staff member rated")
            } catch (e: DubanException) {
                expect(e is DubanException.Rejected || e is DubanException.Invalid) { "$e" }
            }
        }

        check("a push token is registered for the signed-in phone") {
            phone(server, "staff-wjj").registerPush("harmony", "hms", "IQAAAACy0kYbAAC1Xq", "1.0.0")
        }
    } finally {
        server.stop()
    }

    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
