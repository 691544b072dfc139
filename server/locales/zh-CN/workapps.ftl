# 工作应用(钉钉、企业微信):通知、绑定与免登
workapps-open-item = 查看详情
