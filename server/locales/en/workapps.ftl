# Work apps (DingTalk, WeCom): notifications, bindings and sign-in
workapps-open-item = View details
