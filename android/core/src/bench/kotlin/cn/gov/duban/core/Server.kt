// A `duban serve --demo` process for tests and benchmarks on the JVM (not for the app).
package cn.gov.duban.core

import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID

/** A `duban serve --demo` process on a port of its own, which can be stopped and restarted. */
class Server(private val bin: String) {
    private val data: Path = Files.createTempDirectory("duban-kt-server")
    private val port: Int = ServerSocket(0).use { it.localPort }
    private var process: Process? = null
    val url = "http://127.0.0.1:$port"

    fun start(): Server {
        process = ProcessBuilder(
            bin, "serve", "--demo", "--listen", "127.0.0.1:$port", "--data-dir", data.toString(),
            "--scheduler-seconds", "0", "--delivery-seconds", "0",
        ).redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile()).start()
        val deadline = System.currentTimeMillis() + 120_000
        while (System.currentTimeMillis() < deadline) {
            try {
                val c = URI("$url/readyz").toURL().openConnection() as java.net.HttpURLConnection
                if (c.responseCode == 200) return this
            } catch (_: Exception) {
            }
            Thread.sleep(200)
        }
        throw AssertionError("the server did not come up")
    }

    private val http = HttpClient.newHttpClient()

    private fun post(path: String, token: String?, body: String): String {
        val b = HttpRequest.newBuilder(URI("$url$path")).header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
        if (token != null) b.header("authorization", "Bearer $token")
        val r = http.send(b.build(), HttpResponse.BodyHandlers.ofString())
        check(r.statusCode() == 200) { "$path: ${r.statusCode()} ${r.body().take(300)}" }
        return r.body()
    }

    private fun supervisorToken(): String {
        val login = post("/api/v1/auth/login", null, """{"username":"supervisor","password":"duban-demo"}""")
        return Regex("\"token\":\"([^\"]+)\"").find(login)!!.groupValues[1]
    }

    private fun dispatchCommand(task: String, unit: String, person: String?): String {
        val user = person?.let { "\"$it\"" } ?: "null"
        return """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"dispatch",""" +
            """"lead":{"unit":"$unit","user":$user},"participants":[],"responsible_leader":null,""" +
            """"deputy_leader":null,"reviewer":null,"report_approver":null,"deadline":null,"report_every":null}}"""
    }

    /**
     * Registers and dispatches `count` items to `unit` (and `person`, if given) as the demo's
     * supervisor through the sync API, `batch` commands per request, as the office's PC
     * would; returns the items' ids.
     */
    fun dispatch(count: Int, unit: String, person: String?, batch: Int = 500): List<String> {
        val token = supervisorToken()
        val ids = (0 until count).map { UUID.randomUUID().toString() }
        ids.chunked(maxOf(1, batch / 2)).forEachIndexed { page, chunk ->
            val body = chunk.mapIndexed { i, task ->
                val n = page * (batch / 2) + i
                val register = """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"register",""" +
                    """"category":"meeting_decision","number":{"prefix":"议","year":2026,"seq":1},""" +
                    """"title":"县政府常务会议议定事项第${n}项","content":"请抓好落实。","source":"meeting",""" +
                    """"urgency":"normal","visibility":"internal","deadline":null,"attributes":{},""" +
                    """"attachments":[],"milestones":[],"instructing_leader":null,"approval_chain":[],""" +
                    """"recurrence":null,"parent":null,"batch":null}}"""
                "$register,${dispatchCommand(task, unit, person)}"
            }.joinToString(",")
            post("/api/v1/sync/push", token, """{"commands":[$body]}""")
        }
        return ids
    }

    /**
     * Takes in `count` 12345 hotline work orders (category `hotline`, with the intake's facts
     * and the caller's confidential name and phone), accepts them (受理) and dispatches them to
     * `unit` (and `person`, if given) as the demo's supervisor through the sync API, as the
     * hotline office's PC would; returns the orders' ids. Fails if the server refuses any step.
     */
    fun dispatchOrders(count: Int, unit: String, person: String?): List<String> {
        val token = supervisorToken()
        val calledAt = java.time.Instant.now().minusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
        val ids = (0 until count).map { UUID.randomUUID().toString() }
        val body = ids.mapIndexed { n, task ->
            val register = """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"register",""" +
                """"category":"hotline","number":{"prefix":"热","year":2026,"seq":1},""" +
                """"title":"来电反映夜间施工噪声扰民第${n}件","content":"来电人反映小区旁工地夜间施工噪声扰民,请核实处理。",""" +
                """"source":"other","urgency":"normal","visibility":"internal","deadline":null,""" +
                """"attributes":{"caller_name":"刘女士","caller_phone":"13800000000"},""" +
                """"attachments":[],"milestones":[],"instructing_leader":null,"approval_chain":[],""" +
                """"recurrence":null,"parent":null,"batch":null,""" +
                """"order":{"line":"citizen","called_at":"$calledAt","kind":"complaint","channel":"phone",""" +
                """"subject":"城关镇东街建筑工地"}}}"""
            val accept = """{"id":"${UUID.randomUUID()}","task":"$task","command":{"command":"accept_order","note":""}}"""
            "$register,$accept,${dispatchCommand(task, unit, person)}"
        }.joinToString(",")
        val answer = post("/api/v1/sync/push", token, """{"commands":[$body]}""")
        check(!answer.contains("\"status\":\"rejected\"")) { "the orders were refused: ${answer.take(500)}" }
        return ids
    }

    /** Dispatches an item already registered (e.g. from a phone) as the demo's supervisor. */
    fun dispatchRegistered(task: String, unit: String, person: String?) {
        post("/api/v1/sync/push", supervisorToken(), """{"commands":[${dispatchCommand(task, unit, person)}]}""")
    }

    fun stop() {
        process?.let {
            it.destroy()
            it.waitFor()
        }
        process = null
    }
}

