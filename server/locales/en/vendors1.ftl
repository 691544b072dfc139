# Push settings of the Android vendor channels (Xiaomi, OPPO, vivo) on the delivery page.
config-provider-xiaomi = Xiaomi push
config-provider-oppo = OPPO push
config-provider-vivo = vivo push
config-setting-package = Package name
config-setting-channel-id = Notification channel
config-setting-app-key = App key
config-setting-category = Message category
