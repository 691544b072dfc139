// The Android app: Compose screens, camera, location, push and background sync over :core.
// The native library (libduban_ffi.so per ABI) comes from cargo ndk into src/main/jniLibs:
// see README.md, or run `./gradlew :app:cargoNdk` (or build with -Pduban.cargo=true).
import groovy.json.JsonSlurper
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

// Each push service is configured per deployment by its file beside this script; its Gradle
// plugin is applied only when the file is there, and the app is told which ones it has.
val fcmConfig = file("google-services.json")
val hmsConfig = file("agconnect-services.json")
val honorConfig = file("mcs-services.json")
if (fcmConfig.exists()) apply(plugin = "com.google.gms.google-services")
if (hmsConfig.exists()) apply(plugin = "com.huawei.agconnect")
if (honorConfig.exists()) apply(plugin = "com.hihonor.mcs.asplugin")

// The makers whose push SDKs are AARs outside Maven (README.md, "Push: the Android makers'
// channels"): each is on when its AAR is in app/libs; its code (src/vendors/<name>) is then
// compiled in and its receivers enabled. Their keys are Gradle properties (not secrets: they
// are in every APK), e.g. in ~/.gradle/gradle.properties.
val vendorAars = mapOf(
    "xiaomi" to "MiPush_SDK_Client_",
    "oppo" to "com.heytap.msp",
    "vivo" to "vpush_clientSDK_",
)
fun vendorAar(name: String): Boolean =
    file("libs").listFiles().orEmpty().any { it.name.startsWith(vendorAars.getValue(name)) && it.name.endsWith(".aar") }
fun prop(name: String): String = providers.gradleProperty(name).getOrElse("")

/** AppGallery Connect's app id (client/app_id), which HMS asks for with the push token. */
fun hmsAppId(): String {
    if (!hmsConfig.exists()) return ""
    val json = JsonSlurper().parse(hmsConfig) as Map<*, *>
    val client = json["client"] as? Map<*, *> ?: return ""
    return client["app_id"]?.toString() ?: ""
}

val repoRoot: File = rootDir.parentFile
val defaultServer: String = providers.gradleProperty("duban.server").getOrElse("")

android {
    namespace = "cn.gov.duban.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "cn.gov.duban.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"

        buildConfigField("boolean", "FCM_CONFIGURED", fcmConfig.exists().toString())
        buildConfigField("boolean", "HMS_CONFIGURED", hmsConfig.exists().toString())
        buildConfigField("String", "HMS_APP_ID", "\"${hmsAppId()}\"")
        buildConfigField("boolean", "HONOR_CONFIGURED", honorConfig.exists().toString())
        buildConfigField("String", "XIAOMI_APP_ID", "\"${prop("duban.xiaomi.appId")}\"")
        buildConfigField("String", "XIAOMI_APP_KEY", "\"${prop("duban.xiaomi.appKey")}\"")
        buildConfigField("String", "OPPO_APP_KEY", "\"${prop("duban.oppo.appKey")}\"")
        buildConfigField("String", "OPPO_APP_SECRET", "\"${prop("duban.oppo.appSecret")}\"")
        buildConfigField("String", "VIVO_APP_ID", "\"${prop("duban.vivo.appId")}\"")
        // The makers' receivers and services in the manifest are enabled with their SDK.
        for (name in vendorAars.keys) resValue("bool", "push_$name", vendorAar(name).toString())
        resValue("bool", "push_honor", honorConfig.exists().toString())
        // vivo reads its keys from the manifest's meta-data.
        manifestPlaceholders["vivoAppId"] = prop("duban.vivo.appId")
        manifestPlaceholders["vivoApiKey"] = prop("duban.vivo.apiKey")
        // Honor's SDK reads its app id from the manifest's meta-data too.
        manifestPlaceholders["honorAppId"] = prop("duban.honor.appId")
        buildConfigField("String", "DEFAULT_SERVER", "\"$defaultServer\"")

        // The ABIs cargo ndk builds the library for (README.md); JNA's natives follow.
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            // R8 is off until the JNA/UniFFI keep rules in proguard-rules.pro are tried on a
            // device; turn it on with them.
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
        buildConfig = true
        resValues = true
    }

    // Each maker's code, beside its AAR.
    sourceSets["main"].java.srcDirs(vendorAars.keys.filter(::vendorAar).map { "src/vendors/$it/kotlin" })

    packaging {
        resources {
            excludes += "/META-INF/{AL2.0,LGPL2.1}"
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// Cross-compiles duban-ffi for the app's ABIs into src/main/jniLibs (needs the NDK, the
// Rust Android targets and cargo-ndk: README.md).
val cargoNdk by tasks.registering(Exec::class) {
    group = "build"
    description = "Builds libduban_ffi.so for arm64-v8a, armeabi-v7a and x86_64 with cargo ndk."
    workingDir = repoRoot
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", "android/app/src/main/jniLibs",
        "build", "--release", "-p", "duban-ffi",
    )
}
if (providers.gradleProperty("duban.cargo").orNull == "true") {
    tasks.named("preBuild") { dependsOn(cargoNdk) }
}

dependencies {
    implementation(project(":core")) {
        // The plain JNA jar has no Android natives: the AAR below replaces it.
        exclude(group = "net.java.dev.jna", module = "jna")
    }
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")

    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.kotlinx.coroutines.play.services)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.extended)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.navigation.compose)
    implementation(libs.androidx.camera.core)
    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
    implementation(libs.androidx.work.runtime.ktx)

    // Push: each maker's channel on its phones (HMS Push Kit on Huawei, Honor Push on Honor;
    // Xiaomi, OPPO and vivo from their AARs in libs/), FCM where Google Play services run.
    implementation(platform(libs.firebase.bom))
    implementation(libs.firebase.messaging)
    implementation(libs.play.services.base)
    implementation(libs.hms.push)
    implementation(libs.honor.push)
    implementation(fileTree("libs") { include("*.aar") })
    // The HeyTap (OPPO) SDK's own dependencies, which its AAR does not carry.
    if (vendorAar("oppo")) {
        implementation(libs.gson)
        implementation(libs.commons.codec)
    }

    debugImplementation(libs.androidx.compose.ui.tooling)
}
