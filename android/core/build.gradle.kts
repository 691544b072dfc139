// The pure-Kotlin layer over the core (no android.*): the repository and view models in
// src/main/kotlin, compiled together with the UniFFI bindings that `scripts/bindings` writes
// to target/bindings/kotlin. A plain Kotlin/JVM library: the app takes it as it is, and the
// same sources are compiled and run on the JVM in CI by scripts/kotlin-test.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.kotlin.jvm)
}

// The repository's root (this build lives in android/) and what scripts/bindings produces.
val repoRoot: File = rootDir.parentFile
val generatedBindings: File = repoRoot.resolve("target/bindings/kotlin")
val generatedFile: File = generatedBindings.resolve("uniffi/duban_ffi/duban_ffi.kt")

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
    sourceSets.getByName("main").kotlin.srcDir(generatedBindings)
    // The JVM tests start a real `duban serve --demo` through the bench's Server helper.
    sourceSets.getByName("test").kotlin.srcDir("src/bench/kotlin")
}

dependencies {
    api(libs.kotlinx.coroutines.core)
    // The plain jar, for the JVM; the app swaps it for the AAR (see app/build.gradle.kts).
    implementation(libs.jna)
}

// Generates the bindings with the crate's pinned uniffi-bindgen when they are missing, or
// always with -Pduban.bindings=regenerate (after pulling changes to bindings/).
val regenerate = providers.gradleProperty("duban.bindings").map { it == "regenerate" }.orElse(false)
val bindings by tasks.registering(Exec::class) {
    group = "build"
    description = "Runs scripts/bindings (cargo) to generate the UniFFI Kotlin bindings."
    workingDir = repoRoot
    commandLine("bash", "scripts/bindings")
    outputs.dir(generatedBindings)
    onlyIf { regenerate.get() || !generatedFile.exists() }
}

tasks.named("compileKotlin") {
    dependsOn(bindings)
}

// The JVM tests of the bindings (the same program scripts/kotlin-test runs): needs the host
// library and server first, `scripts/bindings && cargo build -p duban-server --bin duban`.
val bindingsTest by tasks.registering(JavaExec::class) {
    group = "verification"
    description = "Runs the binding tests on the JVM against target/debug's library and server."
    classpath = sourceSets["test"].runtimeClasspath
    mainClass.set("cn.gov.duban.core.BindingsTestKt")
    environment("DUBAN_BIN", repoRoot.resolve("target/debug/duban").path)
    systemProperty("jna.library.path", repoRoot.resolve("target/debug").path)
}
