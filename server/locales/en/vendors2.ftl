# Push providers added in issue 21 (helper vendors2): the delivery settings page.
config-provider-harmony = HarmonyOS push
config-provider-honor = Honor push
config-setting-client-id = Client id
