// The Android build of Duban: the pure-Kotlin layer over the generated bindings (:core) and
// the app (:app). The Rust library and its bindings are built outside Gradle (see README.md).
// Xiaomi's, OPPO's and vivo's push SDKs are AARs in app/libs, not from a repository.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
        // Huawei's repository: AppGallery Connect's Gradle plugin.
        maven("https://developer.huawei.com/repo/")
        // Honor's repository: the Honor Push Gradle plugin (mcs-services.json).
        maven("https://developer.hihonor.com/repo")
    }
    resolutionStrategy {
        eachPlugin {
            // The AppGallery Connect plugin is published without a plugin marker: take it by
            // its module, so that the plugins block and the version catalog can name it.
            if (requested.id.id == "com.huawei.agconnect") {
                useModule("com.huawei.agconnect:agcp:${requested.version}")
            }
            // The same for Honor's plugin.
            if (requested.id.id == "com.hihonor.mcs.asplugin") {
                useModule("com.hihonor.mcs:asplugin:${requested.version}")
            }
        }
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // Huawei's repository: HMS Push Kit.
        maven("https://developer.huawei.com/repo/")
        // Honor's repository: Honor Push.
        maven("https://developer.hihonor.com/repo")
    }
}

rootProject.name = "duban-android"

include(":core", ":app")
