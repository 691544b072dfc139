# Push providers added in issue 21 (helper vendors2): the delivery settings page.
config-provider-harmony = 鸿蒙推送
config-provider-honor = 荣耀推送
config-setting-client-id = 客户端 ID
