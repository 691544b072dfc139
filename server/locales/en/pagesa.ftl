# The pages of helper pagesa: sign-in, overview, workbench, board, items, the item page, inbox, uploads, error pages.
# The sign-in page.
login-account = Account
login-password = Password
# Shared by the pages' tables and panels.
pg-unspecified = Unspecified
pg-none = None
pg-overdue = Overdue
pg-overdue-about = Most overdue first
pg-nothing-overdue = Nothing overdue
pg-escalated = Escalated
pg-col-number = No.
pg-col-item = Item
pg-col-items = Items
pg-col-lead = Lead
pg-col-lead-unit = Lead unit
pg-col-due = Due
pg-col-status = Status
pg-col-progress = Progress
pg-col-category = Category
pg-col-unit = Unit
pg-col-rank = Rank
pg-col-score = Score
pg-col-decision = Decision
pg-col-duty = Duty
pg-col-whose = Whose
pg-nothing-to-decide = Nothing awaits your decision
pg-nothing-to-do = Nothing to do
pg-nothing-assessed = Nothing assessed in this period
pg-ranking = Unit ranking, { $period }
# The overview.
overview-heading = Overview
overview-heading-leader = Leader's overview
overview-scope-all = All items
overview-scope-mine = Items I may read
overview-decisions = Approvals waiting for me
overview-decisions-about = Second extensions, suspensions, resumptions, reports…
overview-total = Items
overview-on-time = On-time rate
overview-by-unit = By lead unit
overview-by-status = By status
overview-escalated-about = Escalated and open
overview-nothing-escalated = Nothing escalated
# The supervisor's workbench and its one-click urging.
workbench-heading = Supervisor's workbench
workbench-register = Register an item
workbench-import = Import a spreadsheet
workbench-to-dispatch = To dispatch
workbench-to-review = To review
workbench-overdue-about = Most overdue first, urged in one click
workbench-col-urged = Urged
workbench-dispatch = Dispatch
workbench-nothing-to-dispatch = Nothing to dispatch
workbench-nothing-to-review = Nothing to review
urge = Urge
urge-done = Urged
urge-confirm = Confirm and urge
urge-confirm-row = Urged at { $at }; urge again?
# The public board.
board-about = Items marked public and the units' progress on them, readable without signing in.
board-bulletins = Bulletins
board-no-bulletins = No public bulletins
board-items = Public items ({ $n })
board-no-items = No public items
board-units = Units' progress on public items
board-col-done = Done
board-col-overdue = Overdue
# The error pages.
error-back = Back
error-home = Home
error-status = Error { $status }
error-status-400 = Bad request
error-status-401 = Not signed in
error-status-403 = Forbidden
error-status-404 = Not found
error-status-405 = Method not allowed
error-status-406 = Not acceptable
error-status-408 = Request timeout
error-status-409 = Conflict
error-status-410 = Gone
error-status-413 = Too large
error-status-415 = Unsupported media type
error-status-422 = Cannot be processed
error-status-429 = Too many requests
error-status-500 = Internal server error
error-status-503 = Service unavailable
# The list of items.
items-views = Views
items-keyword = Keyword
items-keyword-hint = Number, title, content, unit, or pinyin initials (e.g. dljb)
items-any-status = Any status
items-search = Search
items-total = { $n ->
    [one] 1 item
   *[other] { $n } items
    }
items-page = page { $page } of { $pages }
items-none = No items match
items-prev = Previous
items-next = Next
# The deputy leader's portal.
leader-heading = Deputy leader's portal
leader-units = Units in my charge
leader-units-about = Their items' lights
leader-no-units = No units in my charge
leader-decisions = Awaiting my decision
leader-decisions-about = Extensions, suspensions, resumptions, approvals
leader-green = Green
leader-yellow = Yellow
leader-red = Red
leader-no-light = No light
leader-overdue = Overdue in my units
# The inbox page (the header's link is common.ftl's inbox).
inbox-page-unread = { $n } unread
inbox-page-filter = Inbox filter
inbox-page-all = All
inbox-page-unread-only = Unread only
inbox-page-read-all = Mark all read
inbox-page-none = No notifications
inbox-page-unread-mark = Unread
inbox-page-read-mark = Read
inbox-page-mark-read = Mark read
inbox-page-newest = Newest
inbox-page-older = Older
