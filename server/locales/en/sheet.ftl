# Periodic reports in one sheet (issue 20): the figures a recurring item asks for, the
# report form's answer to a request, and the sheet of one period's reports by unit.

## Registration
sheet-reg-figures = Figures asked for each period
sheet-reg-figures-hint = One per line, e.g. "Investment completed this month (10,000 yuan)"; leave empty for reports in words only
sheet-reg-field-figures = Report figures

## The item page
sheet-periodic = Periodic reports
sheet-col-period = Period
sheet-col-all-units = All units' reports
sheet-open = All units' reports for { $period }
sheet-period-weekly = Period { $n } (the week from { $start })
sheet-period-monthly = Period { $n } (the month from { $start })
sheet-period-quarterly = Period { $n } (the quarter from { $start })
sheet-period-n = Period { $n }
sheet-report-answers = Answers the periodic request
sheet-report-answers-none = None (an ordinary progress report)
sheet-request-choice = { $period }, due { $due }
sheet-figures = Figures
sheet-figures-hint = Every figure is required when answering a periodic request.
sheet-answers = Answers: { $period }

## The sheet
sheet-title = Periodic reports by unit
sheet-other-periods = Other periods
sheet-summary = { $rows ->
    [one] 1 unit
   *[other] { $rows } units
}, { $on_time } on time
sheet-summary-late = { $n } late
sheet-summary-missing = { $n } missing
sheet-export = Export (xlsx)
sheet-empty = No unit's report you may see.
sheet-col-unit = Unit
sheet-col-number = Number
sheet-col-reporter = Reported by
sheet-col-filed = Filed at
sheet-col-due = Due
sheet-col-text = Report
sheet-col-status = Timeliness
sheet-status-on-time = On time
sheet-status-late-working = { $days ->
    [one] Late by 1 working day
   *[other] Late by { $days } working days
}
sheet-status-late-calendar = { $days ->
    [one] Late by 1 day
   *[other] Late by { $days } days
}
sheet-status-missing = Missing
sheet-status-not-due = Not due yet
sheet-status-not-requested = Not asked for this period
sheet-status-awaiting = { $status } (awaiting approval)
sheet-xlsx-sheet = Periodic reports
sheet-xlsx-title = { $number } { $title } · { $period }
sheet-xlsx-item = Item
sheet-xlsx-period = Period
sheet-xlsx-late = Late
sheet-xlsx-file = periodic-reports-{ $number }-period-{ $n }
