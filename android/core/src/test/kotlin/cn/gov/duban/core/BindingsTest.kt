// The generated Kotlin bindings on the JVM against the real library and a real server
// (`duban serve --demo` on loopback, started and stopped by these tests; the binary's path
// comes from DUBAN_BIN, set by scripts/kotlin-test). Sign-in and the first sync, the inbox in
// one call, receiving an item, a report with a photo written while the server is stopped and
// delivered once it is back, a leader approving an extension, a rating — and the errors
// mapped to the small enum without a panic crossing the boundary. Then the rest of what the
// phone roles do: registering a problem found on site, suspension and resumption, report
// approval, decomposition, declining, replies, lists by view and fetching a cited photo;
// and a unit's acts on a hotline work order (return, committed deadline, the templated reply).
package cn.gov.duban.core

import kotlinx.coroutines.runBlocking
import uniffi.duban_ffi.Capture
import uniffi.duban_ffi.CommandKind
import uniffi.duban_ffi.Act
import uniffi.duban_ffi.DubanApp
import uniffi.duban_ffi.DubanException
import uniffi.duban_ffi.Duty
import uniffi.duban_ffi.NewItem
import uniffi.duban_ffi.Observer
import uniffi.duban_ffi.ReportKind
import uniffi.duban_ffi.ReportStatus
import uniffi.duban_ffi.Role
import uniffi.duban_ffi.Status
import uniffi.duban_ffi.SyncStatus
import uniffi.duban_ffi.Urgency
import uniffi.duban_ffi.composeReply
import uniffi.duban_ffi.dutyName
import uniffi.duban_ffi.pushProviderFor
import uniffi.duban_ffi.reportKindName
import uniffi.duban_ffi.reportStatusName
import uniffi.duban_ffi.roleName
import uniffi.duban_ffi.statusName
import uniffi.duban_ffi.urgencyName
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

/** An item `app` handles now: one already in progress, else one it receives for the purpose. */
private suspend fun handling(app: DubanApp): String {
    val rows = app.inbox().rows
    rows.firstOrNull { r -> r.duties.any { it.duty == Duty.HANDLE } }?.let { return it.item.id }
    val row = rows.firstOrNull { r -> r.duties.any { it.duty == Duty.RECEIVE } }
        ?: throw AssertionError("nothing to handle or receive: $rows")
    app.receive(row.item.id)
    app.syncNow()
    return row.item.id
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
            val row = head.inbox().rows.firstOrNull { r -> r.duties.any { it.duty == Duty.RECEIVE } }
                ?: throw AssertionError("nothing to receive: ${head.inbox().rows}")
            val task = row.item.id
            head.receive(task)
            head.syncNow()
            expect(head.item(task)!!.item.status == Status.IN_PROGRESS) { "not received" }

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
            val waitingActs = head.pending()
            expect(waitingActs.any { it.task == task && it.kind == CommandKind.REPORT_COMPLETION && !it.sent && it.nameZh.isNotBlank() }) {
                "not in the waiting list: $waitingActs"
            }
            val waiting = head.item(task)!!
            expect(waiting.trail.any { it.pending }) { "the pending step is not shown" }

            server.start()
            val sent = head.syncNow()
            expect(sent.accepted >= 1uL && sent.uploaded >= 1uL) { "$sent" }
            expect(head.pendingCount() == 0u) { "still pending" }
            expect(head.item(task)!!.item.status == Status.UNDER_REVIEW) { "${head.item(task)}" }

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
            val row = deputy.approvals().firstOrNull { r -> r.duties.any { it.duty == Duty.DECIDE_EXTENSION } }
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
            val row = (screen as Screen.Ready).value.rows.first { r -> r.duties.any { it.duty == Duty.RECEIVE } }
            val seen = repo.changes.value
            repo.receive(row.item.id)
            expect(repo.changes.value > seen) { "no change published" }
            val item = repo.item(row.item.id)
            expect(item is Screen.Ready && item.value!!.pending == 0u) { "$item" }
            val after = vm.screen.value as Screen.Ready
            expect(after.value.rows.none { r -> r.item.id == row.item.id && r.duties.any { it.duty == Duty.RECEIVE } }) {
                "still asked to receive"
            }
        }

        check("an observer hears the sync status change and the data change") {
            val app = DubanApp.open(store(), server.url)
            val statuses = java.util.concurrent.CopyOnWriteArrayList<SyncStatus>()
            val changes = java.util.concurrent.atomic.AtomicInteger()
            val observation = app.observe(object : Observer {
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
            // Cancelled, the observer hears nothing more.
            observation.cancel()
            val heard = changes.get()
            app.syncNow()
            expect(changes.get() == heard) { "heard ${changes.get() - heard} changes after cancelling" }
            observation.cancel()
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

        check("a problem found on site is registered with its photo; the server numbers it") {
            val sup = phone(server, "supervisor")
            val category = sup.categories().firstOrNull()
                ?: throw AssertionError("no categories on the phone")
            val photo = sup.attachPhoto(cameraJpeg(), Capture(true, 480, 39.91, 116.40, "城关镇东街", null, null))
            val task = sup.registerItem(
                NewItem(
                    category.code,
                    "东街人行道破损",
                    "东街12号门前人行道砖块松动破损约20平方米,存在行人绊倒隐患。",
                    Urgency.URGENT,
                    null,
                    true,
                    category.requiredAttributes.associateWith { "现场检查" },
                    listOf(photo),
                ),
            )
            expect(sup.item(task)!!.item.number == null) { "numbered before the server saw it" }
            val r = sup.syncNow()
            expect(r.accepted == 1uL && r.uploaded >= 1uL) { "$r" }
            val item = sup.item(task)!!
            expect(item.item.number?.contains("〔") == true) { "no number: ${item.item}" }
            expect(item.content.startsWith("东街12号")) { "content ${item.content}" }
            expect(item.evidence.any { it.file.hash == photo.hash && it.report == null }) {
                "the photo is not cited: ${item.evidence}"
            }
            // Another phone of the same person fetches the photo from the server.
            val other = phone(server, "supervisor")
            val file = other.file(photo.hash)
            expect(file.mime == "image/jpeg" && file.bytes.size.toULong() == photo.size) { "${file.mime} ${file.bytes.size}" }
            expect(file.bytes[0] == 0xFF.toByte() && file.bytes[1] == 0xD8.toByte()) { "not a JPEG" }
            // Dispatched to 城关镇 from the office; its head answers the photo on site.
            server.dispatchRegistered(task, "00000000-0000-0000-0000-000000001019", null)
            val town = phone(server, "head-cgz")
            town.receive(task)
            val before = town.item(task)!!.photoPairs.single()
            expect(before.before.hash == photo.hash && before.after.isEmpty()) { "$before" }
            val after = town.attachPhoto(cameraJpeg(), Capture(true, 480, 39.91, 116.40, "城关镇东街", task, photo.hash))
            town.reportCompletion(task, "已更换破损砖块,路面平整。", listOf(after))
            expect(town.syncNow().accepted == 2uL) { "receive and report not taken" }
            val pair = town.item(task)!!.photoPairs.single()
            expect(pair.after.map { it.hash } == listOf(after.hash)) { "the after photo does not answer: $pair" }
            try {
                sup.registerItem(NewItem("no-such-category", "t", "", Urgency.NORMAL, null, false, emptyMap(), emptyList()))
                throw AssertionError("registered in an unknown category")
            } catch (e: DubanException.Invalid) {
                expect(e.code == "input.unknown_category") { "$e" }
            }
        }

        check("a handler asks to suspend, a leader approves; then resumption the same way") {
            val head = phone(server, "head-jyj")
            val task = handling(head)
            head.requestSuspension(task, "上级部门通知暂缓实施,等待新的政策文件。")
            expect(head.syncNow().accepted == 1uL) { "the request was not taken" }
            // The item's leader decides (any leader, if it names none): whoever has it.
            val (leader, row) = listOf("leader", "deputy1", "deputy2", "deputy3").firstNotNullOfOrNull { name ->
                val l = phone(server, name)
                l.approvals().firstOrNull { r -> r.item.id == task }?.let { l to it }
            } ?: throw AssertionError("in no leader's approvals")
            expect(row.duties.any { it.duty == Duty.DECIDE_SUSPENSION }) { "${row.duties}" }
            leader.decideSuspension(task, true, "同意暂停。")
            leader.syncNow()
            head.syncNow()
            val suspended = head.item(task)!!
            expect(suspended.item.status == Status.SUSPENDED) { "${suspended.item.status}" }
            head.requestResumption(task, "新文件已下发,恢复办理。")
            head.syncNow()
            leader.syncNow()
            expect(leader.approvals().any { r -> r.item.id == task && r.duties.any { it.duty == Duty.DECIDE_RESUMPTION } }) {
                "no resumption to decide"
            }
            leader.decideResumption(task, true, "同意恢复。")
            leader.syncNow()
            head.syncNow()
            val resumed = head.item(task)!!
            expect(resumed.item.status == Status.IN_PROGRESS) { "${resumed.item.status}" }
            expect(resumed.workingDaysLeft != null && resumed.workingSecondsLeft != null) { "no countdown" }
            expect(resumed.lightReasonZh?.isNotBlank() == true) { "no light reason" }
        }

        check("a unit head approves a progress report from the item screen") {
            val staff = phone(server, "staff-jtj")
            val task = staff.items("responsible", 0u, 100u)
                .firstOrNull { it.status == Status.IN_PROGRESS && it.title.contains("桥") }?.id
                ?: throw AssertionError("no bridge item: ${staff.items("responsible", 0u, 100u).map { it.title }}")
            staff.reportProgress(task, "桩基处理完成,围堰已拆除。", 60u, emptyList())
            staff.syncNow()
            val head = phone(server, "head-jtj")
            expect(head.approvals().any { r -> r.item.id == task && r.duties.any { it.duty == Duty.APPROVE_REPORT } }) {
                "no report to approve"
            }
            val report = head.item(task)!!.reports.last()
            expect(report.status == ReportStatus.PENDING_APPROVAL && report.kind == ReportKind.PROGRESS && report.percent == 60.toUByte()) { "$report" }
            expect(report.text.startsWith("桩基")) { report.text }
            try {
                head.decideReport(task, "not-a-report", true, "")
                throw AssertionError("a bad report id was taken")
            } catch (e: DubanException.Invalid) {
                expect(e.code == "input.report") { "$e" }
            }
            head.decideReport(task, report.id, true, "情况属实。")
            head.syncNow()
            val after = head.item(task)!!.reports.first { it.id == report.id }
            expect(after.status == ReportStatus.FILED) { "${after.status}" }
        }

        check("a unit head decomposes an item to a section; its staff receive the sub-item") {
            val head = phone(server, "head-zjj")
            val me = head.me() ?: throw AssertionError("not signed in")
            val section = head.units().firstOrNull { it.parent == me.unit }
                ?: throw AssertionError("no unit under ${me.unit}")
            val task = handling(head)
            val child = head.decompose(task, "房地产市场监测分析", "按月报送房地产市场运行分析。", section.id, null, null)
            expect(head.syncNow().accepted == 1uL) { "the decomposition was not taken" }
            val staff = phone(server, "staff-fdc")
            val row = staff.inbox().rows.firstOrNull { it.item.id == child }
                ?: throw AssertionError("the sub-item is not in the section's inbox")
            expect(row.duties.any { it.duty == Duty.RECEIVE }) { "${row.duties}" }
            expect(row.item.number != null) { "the sub-item has no number" }
        }

        check("a unit declines an item; a leader instructs and the handler replies") {
            // The office dispatches a fresh item to 城关镇 (the demo's are all received).
            val task = server.dispatch(1, "00000000-0000-0000-0000-000000001019", null).single()
            val town = phone(server, "head-cgz")
            expect(town.inbox().rows.any { r -> r.item.id == task && r.duties.any { it.duty == Duty.RECEIVE } }) {
                "the dispatched item is not to receive"
            }
            town.decline(task, "该事项属县自然资源局职责范围。")
            expect(town.syncNow().accepted == 1uL) { "the decline was not taken" }
            val declined = town.item(task)
            expect(declined == null || declined.item.status == Status.DECLINED) { "${declined?.item}" }

            val head = phone(server, "head-wjj")
            val open = head.items("responsible", 0u, 50u).first { it.status == Status.UNDER_REVIEW || it.status == Status.IN_PROGRESS }.id
            val leader = phone(server, "leader")
            leader.instruct(open, "请抓紧推进,确保按期完成。")
            leader.syncNow()
            head.syncNow()
            val note = head.item(open)!!.trail.last { it.note != null }.note!!
            head.comment(open, "收到,正在落实。", note)
            expect(head.syncNow().accepted == 1uL) { "the reply was not taken" }
            expect(head.item(open)!!.trail.count { it.note != null } >= 2) { "no reply in the trail" }
            try {
                head.items("nonsense", 0u, 10u)
                throw AssertionError("an unknown view was listed")
            } catch (e: DubanException.Invalid) {
                expect(e.code == "input.view") { "$e" }
            }
            head.follow(open)
            head.unfollow(open)
            expect(head.syncNow().accepted == 2uL) { "follow and unfollow were not taken" }
        }

        check("a staff member is offered no act only a leader may take; a leader is offered it") {
            val staff = phone(server, "staff-jtj")
            val task = staff.items("responsible", 0u, 100u)
                .firstOrNull { it.status == Status.IN_PROGRESS }?.id
                ?: throw AssertionError("no item in progress for staff-jtj")
            val leader = phone(server, "leader")
            val leaderOnly = setOf(Act.INSTRUCT, Act.DECIDE_EXTENSION, Act.DECIDE_SUSPENSION, Act.DECIDE_RESUMPTION)
            val staffActs = staff.item(task)!!.acts.map { it.act }
            expect(staffActs.none { it in leaderOnly }) { "a staff member is offered $staffActs" }
            expect(Act.REPORT_PROGRESS in staffActs) { "the handler is not offered a report: $staffActs" }
            // The rules refuse what is not on offer ...
            try {
                staff.instruct(task, "请抓紧。")
                throw AssertionError("a staff member instructed")
            } catch (e: DubanException.Rejected) {
                expect(e.code.isNotBlank() && e.zh.isNotBlank()) { "$e" }
            }
            // ... and take what is.
            val screen = leader.item(task) ?: throw AssertionError("the leader cannot read the item")
            val leaderActs = screen.acts.map { it.act }
            expect(Act.INSTRUCT in leaderActs) { "the leader is not offered an instruction: $leaderActs" }
            expect(Act.RECEIVE !in leaderActs && Act.REPORT_PROGRESS !in leaderActs) { "the leader is offered $leaderActs" }
            expect(screen.acts.all { it.zh.isNotBlank() && it.en.isNotBlank() && it.zh != it.en }) { "${screen.acts}" }
            leader.instruct(task, "请加快进度,按期完成。")
            expect(leader.syncNow().accepted == 1uL) { "the offered instruction was refused" }
            // Who may register, from the core's rule.
            expect(!staff.me()!!.mayRegister && leader.me()!!.mayRegister) { "may register: staff/leader" }
            expect(Role.MAIN_LEADER in leader.me()!!.roles) { "${leader.me()!!.roles}" }
        }

        check("a unit's staffer returns a work order, asks for a committed deadline and replies in the template") {
            // The hotline office takes in, accepts and dispatches two 12345 orders to 城管局's staffer.
            val (toReturn, toHandle) = server.dispatchOrders(
                2,
                "00000000-0000-0000-0000-000000001018",
                "00000000-0000-0000-0000-000000002182",
            )
            val staff = phone(server, "staff-cgj")

            // Dispatched: the unit may return it (退单), never decline it.
            val dispatched = staff.item(toReturn)?.acts?.map { it.act }
                ?: throw AssertionError("the order is not on the staffer's phone")
            expect(Act.RETURN_ORDER in dispatched && Act.RECEIVE in dispatched) { "offered $dispatched" }
            expect(Act.DECLINE !in dispatched) { "a work order offered for declining: $dispatched" }
            try {
                staff.decline(toReturn, "该工地属城关镇管辖。")
                throw AssertionError("a work order was declined")
            } catch (e: DubanException.Rejected) {
                expect(e.code == "order.return_instead") { "$e" }
            }
            staff.returnOrder(toReturn, "该工地由城关镇负责监管,不属本局职责。")
            expect(staff.pending().any { it.task == toReturn && it.kind == CommandKind.RETURN_ORDER && !it.sent && it.nameZh == "退单" }) {
                "the return is not queued: ${staff.pending()}"
            }
            expect(staff.syncNow().accepted == 1uL) { "the return was not taken" }
            val returned = staff.item(toReturn)
            expect(returned == null || returned.item.status == Status.DECLINED) { "${returned?.item}" }

            // Received: return, a committed deadline and the reply are on offer, named by the core.
            staff.receive(toHandle)
            staff.syncNow()
            val screen = staff.item(toHandle)!!
            val acts = screen.acts.associate { it.act to it.zh }
            expect(acts[Act.RETURN_ORDER] == "退单" && acts[Act.REQUEST_COMMITMENT] == "申请承诺件") { "offered $acts" }
            expect(Act.REPORT_COMPLETION in acts && Act.DECLINE !in acts) { "offered $acts" }

            // 申请承诺件: to the hour, later than the deadline in force; the office decides it.
            val deadline = screen.item.deadlineMs ?: throw AssertionError("a dispatched order without a deadline")
            val until = (deadline + 2 * 86_400_000L) / 3_600_000L * 3_600_000L
            try {
                staff.requestCommitment(toHandle, until + 30 * 60_000L, "需协调住建部门联合执法。")
                throw AssertionError("a committed deadline off the hour was taken")
            } catch (e: DubanException.Rejected) {
                expect(e.code == "input.not_on_hour") { "$e" }
            }
            staff.requestCommitment(toHandle, until, "需协调住建部门联合执法,夜间取证需两个周末。")
            expect(staff.pending().any { it.task == toHandle && it.kind == CommandKind.REQUEST_COMMITMENT }) { "not queued" }
            expect(staff.syncNow().accepted == 1uL) { "the request was not taken" }
            val office = phone(server, "supervisor")
            val asked = (office.inbox().rows + office.approvals()).filter { it.item.id == toHandle }.flatMap { it.duties }
            expect(asked.any { it.duty == Duty.DECIDE_COMMITMENT && it.zh == dutyName(Duty.DECIDE_COMMITMENT, false) }) {
                "the office is not asked to decide: $asked"
            }
            // No phone act decides it: the item screen names it as the office's.
            expect(office.item(toHandle)!!.officeDuties.any { it.duty == Duty.DECIDE_COMMITMENT }) { "not an office duty" }

            // The reply follows the office's template: one text per section.
            val sections = staff.replySections(toHandle)
            expect(sections.isNotEmpty() && sections.all { it.isNotBlank() }) { "no template: $sections" }
            // An item of another category is no order: one free text, no template.
            val other = staff.items("all", 0u, 200u).firstOrNull { it.category != "hotline" && it.category != "env_hotline" }
                ?: throw AssertionError("the staffer reads no item but work orders")
            expect(staff.replySections(other.id).isEmpty()) { "sections for an item that is no order: ${other.category}" }
            val before = staff.pendingCount()
            for (text in listOf("已责令施工单位停止夜间施工。", composeReply(sections, listOf("已责令停止夜间施工。")))) {
                try {
                    staff.reportCompletion(toHandle, text, emptyList())
                    throw AssertionError("a reply outside the template was taken: $text")
                } catch (e: DubanException.Rejected) {
                    expect(e.code == "order.reply_template" && e.zh.isNotBlank() && e.en.isNotBlank()) { "$e" }
                }
            }
            expect(staff.pendingCount() == before) { "a refused reply was queued" }
            val texts = sections.mapIndexed { i, s -> "$s:第${i + 1}项答复。" }
            val reply = composeReply(sections, texts)
            expect(reply == sections.zip(texts).joinToString("\n") { (s, t) -> "【$s】$t" }) { reply }
            staff.reportCompletion(toHandle, reply, emptyList())
            expect(staff.pending().any { it.task == toHandle && it.kind == CommandKind.REPORT_COMPLETION && !it.sent }) {
                "the reply is not queued"
            }
            expect(staff.syncNow().accepted == 1uL) { "the reply was not taken" }
            val replied = staff.item(toHandle)!!
            expect(replied.item.status == Status.UNDER_REVIEW) { "${replied.item.status}" }
            expect(replied.reports.last().kind == ReportKind.COMPLETION && replied.reports.last().text == reply) {
                "${replied.reports.last()}"
            }
        }

        check("the enums' names come from the core") {
            expect(statusName(Status.IN_PROGRESS, false) == "办理中" && statusName(Status.IN_PROGRESS, true) == "in progress") {
                statusName(Status.IN_PROGRESS, true)
            }
            expect(urgencyName(Urgency.EXTRA_URGENT, false) == "特急") { urgencyName(Urgency.EXTRA_URGENT, false) }
            expect(roleName(Role.DEPUTY_LEADER, false) == "分管领导") { roleName(Role.DEPUTY_LEADER, false) }
            expect(Urgency.entries.map { urgencyName(it, false) } == listOf("普通", "紧急", "特急")) { "urgency order" }
            expect(reportStatusName(ReportStatus.PENDING_APPROVAL, true) == "Awaiting approval") {
                reportStatusName(ReportStatus.PENDING_APPROVAL, true)
            }
            expect(reportKindName(ReportKind.COMPLETION, true) == "Completion") { reportKindName(ReportKind.COMPLETION, true) }
            expect(statusName(Status.NOT_ACCEPTED, false) == "不予受理") { statusName(Status.NOT_ACCEPTED, false) }
            expect(dutyName(Duty.CALL_BACK, false) == "待回访" && dutyName(Duty.ACCEPT_ORDER, true) == "To decide acceptance") {
                dutyName(Duty.ACCEPT_ORDER, true)
            }
            // Every duty and status has a name of its own in each language.
            for (english in listOf(false, true)) {
                val duties = Duty.entries.map { dutyName(it, english) }
                val statuses = Status.entries.map { statusName(it, english) }
                expect(duties.none { it.isBlank() } && duties.toSet().size == duties.size) { "duty names $duties" }
                expect(statuses.none { it.isBlank() } && statuses.toSet().size == statuses.size) { "status names $statuses" }
            }
        }

        check("a push token is registered for the signed-in phone") {
            phone(server, "staff-wjj").registerPush("harmony", "hms", "IQAAAACy0kYbAAC1Xq", "1.0.0")
        }

        check("the phone's maker chooses its push channel, and the server takes it") {
            val all = listOf("fcm", "hms", "honor", "xiaomi", "oppo", "vivo")
            val redmi = pushProviderFor("Xiaomi", "Redmi", true, false, all)
            expect(redmi == "xiaomi") { "a Redmi got $redmi" }
            expect(pushProviderFor("vivo", "iQOO", false, false, all) == "vivo") { "iQOO" }
            expect(pushProviderFor("HONOR", "HONOR", false, false, all) == "honor") { "Honor" }
            expect(pushProviderFor("samsung", "samsung", true, false, listOf("fcm")) == "fcm") { "samsung" }
            expect(pushProviderFor("vivo", "vivo", false, false, listOf("fcm")) == null) { "no channel" }
            phone(server, "staff-wjj").registerPush("android", redmi!!, "Xm7Qk2/regid+abc", "1.0.0")
        }
    } finally {
        server.stop()
    }

    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
