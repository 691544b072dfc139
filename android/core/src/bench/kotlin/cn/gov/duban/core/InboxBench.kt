// The cost of the inbox-screen call from Kotlin on a store of 10,000 items (issue 7's goal:
// under 5 ms per screen). A release `duban serve --demo` gets 10,000 more items, registered
// and dispatched to one unit head through the sync API; that person's phone store (the real
// library, through the generated bindings) takes them in with a first sync; then
// `DubanApp.inbox()` — one FFI call returning the whole screen (200 rows, the unread count,
// the sync status) — is timed. Run: scripts/kotlin-bench (figures go to docs/PERFORMANCE.md).
package cn.gov.duban.core

import kotlinx.coroutines.runBlocking
import uniffi.duban_ffi.DubanApp
import java.nio.file.Files

private const val ITEMS = 10_000
private const val BATCH = 500
private const val HEAD = "00000000-0000-0000-0000-000000002161" // head-wjj in the demo
private const val UNIT = "00000000-0000-0000-0000-000000001016" // 县卫生健康局

fun main() = runBlocking {
    val server = Server(System.getenv("DUBAN_BIN") ?: error("DUBAN_BIN is not set")).start()
    try {
        val started = System.nanoTime()
        server.dispatch(ITEMS, UNIT, HEAD, BATCH)
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
