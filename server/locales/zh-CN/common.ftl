# The frame of every page: brand, navigation, header, footer, language choice.
lang-name = 简体中文
lang-other = 英文
lang-choose = 界面语言
lang-apply = 切换
brand = 督办
menu = 菜单
nav-main = 主导航
nav-overview = 总览
nav-items = 事项
nav-workbench = 工作台
nav-register = 立项
nav-unit = 本单位
nav-leader = 分管
nav-me = 我的
nav-stats = 统计
nav-monitor = 监测
nav-scores = 考核
nav-bulletins = 通报
nav-ledger = 台账
nav-board = 公开督办网
nav-admin = 系统管理
inbox = 通知
inbox-unread = 未读
sign-out = 退出
sign-in = 登录
# The footer's button that switches the interface to the other language, named in this one.
lang-switch = 切换为英文界面
