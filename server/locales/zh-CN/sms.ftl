# SMS: the short variables of the approved template (each at most 12 characters), and the
# administrators' banner when the gateway refuses our template or signature.
sms-kind-dispatched = 交办
sms-kind-approve = 待审批
sms-kind-review = 待复核
sms-kind-duty = 待办
sms-kind-urged = 催办
sms-kind-escalated = 督办升级
sms-kind-instructed = 领导批示
sms-kind-returned = 退办
sms-kind-report-returned = 汇报退回
sms-kind-request-decided = 申请已审批
sms-kind-revoked = 撤销
sms-kind-rated = 评价
sms-kind-accepted = 复核通过
sms-kind-reply = 回复
sms-kind-report-requested = 定期汇报
sms-kind-reminded = 到期提醒
sms-kind-urgent-order = 紧急工单
sms-due-none = 未定
sms-no-none = 无编号
sms-refused-title = 短信网关拒绝了本系统的短信模板或签名
sms-refused-line = 自 { $since } 起被拒绝,{ $waiting } 条通知的短信正在等待;模板或签名获批后每小时自动重发。
sms-refused-act = 请在短信服务控制台查看模板和签名的审核状态(对照错误代码),必要时按部署文档重新申请。
