# The administration console's index.
admin-units = 单位
admin-units-about = 单位树:新建、改名、调整上级、撤销,简称与别名
admin-accounts = 账号
admin-accounts-about = 新建账号,角色与分管单位,重置密码,解锁,停用
admin-import = 导入单位与人员
admin-import-about = 从电子表格模板逐行检查后导入
admin-categories = 事项类别
admin-categories-about = 编号前缀与附加属性,哪些属性保密
admin-policy = 规则参数
admin-policy-about = 时限、提醒、催办与考核的各项数值
admin-calendar = 工作日历
admin-calendar-about = 查看一年,修改某一天,导入节假日与调休
admin-delivery = 推送与短信
admin-delivery-about = 已配置的通道与最近的送达结果(只读)
admin-trail = 管理留痕
admin-trail-about = 每一项管理变更:谁、何时、变更前后,可验证
