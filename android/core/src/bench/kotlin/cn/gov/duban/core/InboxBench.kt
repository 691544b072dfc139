// The cost of the inbox-screen call from Kotlin on a store of 10,000 items (issue 7's goal:
// under 5 ms per screen). A release `duban serve --demo` gets 10,000 more items, registered
// and dispatched to one unit head through the sync API; that person's phone store (the real
// library, through the generated bindings) takes them in with a first sync; then
// `DubanApp.inbox()` — one FFI call returning the whole screen (200 rows, the unread count,
// the sync status) — is timed. Run: scripts/kotlin-bench (figures go to docs/PERFORMANCE.md).
package cn.gov.duban.core

import kotlinx.coroutines.runBlocking
import uniffi.duban_ffi.DubanApp
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.util.UUID

private const val ITEMS = 10_000
private const val BATCH = 500
private const val HEAD = "00000000-0000-0000-0000-000000002161" // head-wjj in the demo
private const val UNIT = "00000000-0000-0000-0000-000000001016" // 县卫生健康局

private fun post(http: HttpClient, url: String, token: String?, body: String): String {
    val b = HttpRequest.newBuilder(URI(url)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
    if (token != null) b.header("authorization", "Bearer $token")
    val r = http.send(b.build(), HttpResponse.BodyHandlers.ofString())
    check(r.statusCode() == 200) { "$url: ${r.statusCode()} ${r.body().take(300)}" }
    return r.body()
}

private fun commands(n: Int): String {
    val task = UUID.randomUUID()
    val register = """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"register",""" +
        """"category":"meeting_decision","number":{"prefix":"议","year":2026,"seq":1},""" +
        """"title":"县政府常务会议议定事项第${n}项","content":"请抓好落实。","source":"meeting",""" +
        """"urgency":"normal","visibility":"internal","deadline":null,"attributes":{},""" +
        """"attachments":[],"milestones":[],"instructing_leader":null,"approval_chain":[],""" +
        """"recurrence":null,"parent":null,"batch":null}}"""
    val dispatch = """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"dispatch",""" +
        """"lead":{"unit":"$UNIT","user":"$HEAD"},"participants":[],"responsible_leader":null,""" +
        """"deputy_leader":null,"reviewer":null,"report_approver":null,"deadline":null,"report_every":null}}"""
    return "$register,$dispatch"
}

fun main() = runBlocking {
    val server = Server(System.getenv("DUBAN_BIN") ?: error("DUBAN_BIN is not set")).start()
    try {
        val http = HttpClient.newHttpClient()
        val login = post(http, "${server.url}/api/v1/auth/login", null,
            """{"username":"supervisor","password":"duban-demo"}""")
        val token = Regex("\"token\":\"([^\"]+)\"").find(login)!!.groupValues[1]
        val started = System.nanoTime()
        var made = 0
        while (made < ITEMS) {
            val n = minOf(BATCH / 2, ITEMS - made)
            val body = (made until made + n).joinToString(",") { commands(it) }
            post(http, "${server.url}/api/v1/sync/push", token, """{"commands":[$body]}""")
            made += n
        }
        println("server: $ITEMS items registered and dispatched in %.1f s".format((System.nanoTime() - started) / 1e9))

        val app = DubanApp.open(Files.createTempDirectory("duban-bench").resolve("store.db").toString(), server.url)
        app.signIn("head-wjj", "duban-demo")
        val t0 = System.nanoTime()
        val r = app.syncNow()
        println("phone: first sync of ${r.events} events in %.1f s".format((System.nanoTime() - t0) / 1e9))

        repeat(20) { app.inbox() } // warm-up: JIT, JNA, SQLite's page cache
        val times = (1..200).map {
            val s = System.nanoTime()
            val screen = app.inbox()
            val took = (System.nanoTime() - s) / 1e6
            check(screen.rows.size == 200) { "${screen.rows.size} rows" }
            took
        }.sorted()
        println(
            "inbox() from Kotlin, store of ${ITEMS + 0}+ items, 200 rows: median %.2f ms, p90 %.2f ms, max %.2f ms (200 calls)"
                .format(times[100], times[180], times.last()),
        )
    } finally {
        server.stop()
    }
}
