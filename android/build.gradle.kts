// Plugins are declared here once, with their versions from gradle/libs.versions.toml, and
// applied by the modules that use them. The push services' plugins are applied by :app only
// when their configuration files are present.
plugins {
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.jvm) apply false
    alias(libs.plugins.kotlin.compose) apply false
    alias(libs.plugins.google.services) apply false
    alias(libs.plugins.agconnect) apply false
    alias(libs.plugins.honor.asplugin) apply false
}
