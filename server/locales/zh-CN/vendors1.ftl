# Push settings of the Android vendor channels (Xiaomi, OPPO, vivo) on the delivery page.
config-provider-xiaomi = 小米推送
config-provider-oppo = OPPO推送
config-provider-vivo = vivo推送
config-setting-package = 应用包名
config-setting-channel-id = 通知通道
config-setting-app-key = 应用密钥标识
config-setting-category = 消息分类
