// A `duban serve --demo` process for tests and benchmarks on the JVM (not for the app).
package cn.gov.duban.core

import java.net.ServerSocket
import java.net.URI
import java.nio.file.Files
import java.nio.file.Path

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

    fun stop() {
        process?.let {
            it.destroy()
            it.waitFor()
        }
        process = null
    }
}

