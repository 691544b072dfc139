# Periodic reports in one sheet (issue 20): the figures a recurring item asks for, the
# report form's answer to a request, and the sheet of one period's reports by unit.

## Registration
sheet-reg-figures = 报送数据项
sheet-reg-figures-hint = 每行一项,如“本月完成投资（万元）”;不填则只报送文字
sheet-reg-field-figures = 报送数据项

## The item page
sheet-periodic = 定期汇报
sheet-col-period = 期次
sheet-col-all-units = 各单位报送
sheet-open = 查看各单位{ $period }的报送
sheet-period-weekly = 第{ $n }期(自{ $start }起的一周)
sheet-period-monthly = 第{ $n }期(自{ $start }起的一个月)
sheet-period-quarterly = 第{ $n }期(自{ $start }起的一个季度)
sheet-period-n = 第{ $n }期
sheet-report-answers = 答复定期汇报要求
sheet-report-answers-none = 不答复(一般进展汇报)
sheet-request-choice = { $period },截至{ $due }
sheet-figures = 报送数据
sheet-figures-hint = 答复定期汇报要求时,每项都须填写。
sheet-answers = 答复:{ $period }

## The sheet
sheet-title = 定期汇报汇总表
sheet-other-periods = 其他期次
sheet-summary = 共{ $rows }个单位,按时报送{ $on_time }个
sheet-summary-late = 逾期{ $n }个
sheet-summary-missing = 缺报{ $n }个
sheet-export = 导出表格(xlsx)
sheet-empty = 没有您可查看的单位报送。
sheet-col-unit = 单位
sheet-col-number = 编号
sheet-col-reporter = 报送人
sheet-col-filed = 报送时间
sheet-col-due = 报送期限
sheet-col-text = 汇报内容
sheet-col-status = 报送情况
sheet-status-on-time = 按时报送
sheet-status-late-working = 逾期{ $days }个工作日
sheet-status-late-calendar = 逾期{ $days }天
sheet-status-missing = 缺报
sheet-status-not-due = 未到期
sheet-status-not-requested = 本期未要求报送
sheet-status-awaiting = { $status }(待审批)
sheet-xlsx-sheet = 定期汇报
sheet-xlsx-title = { $number } { $title } · { $period }
sheet-xlsx-item = 事项
sheet-xlsx-period = 期次
sheet-xlsx-late = 逾期
sheet-xlsx-file = 定期汇报-{ $number }-第{ $n }期
