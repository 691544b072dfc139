# The hotline office's pages: the work-order desk, the intake form, and a work order's part of the item page.
hotline-nav = Hotline
hotline-desk-heading = Hotline work orders
hotline-take-call = Take a call
hotline-stage-accept = Awaiting acceptance
hotline-stage-accept-col = Since the call
hotline-stage-dispatch = Accepted, awaiting dispatch
hotline-stage-dispatch-col = Dispatch clock
hotline-stage-transfer = Returned, awaiting transfer
hotline-stage-transfer-col = Returned at
hotline-stage-commitment = Committed deadlines awaiting a decision
hotline-stage-commitment-col = Deadline asked for
hotline-stage-callback = Replied, awaiting call-back
hotline-stage-callback-col = Calls back
hotline-stage-reopen = Unsatisfied, awaiting reopening
hotline-stage-reopen-col = Called back at
hotline-stage-inform = Callers owed a notice
hotline-stage-inform-col = About, and by when
hotline-stage-empty = None
hotline-yours = You call back
hotline-minutes-ago = { $n ->
    [one] 1 minute ago
   *[other] { $n } minutes ago
    }
hotline-hours-ago = { $n ->
    [one] 1 hour ago
   *[other] { $n } hours ago
    }
hotline-hours-left = { $n ->
    [one] 1 hour left
   *[other] { $n } hours left
    }
hotline-hours-overdue = { $n ->
    [one] 1 hour overdue
   *[other] { $n } hours overdue
    }
hotline-owed-due = { $about }: by { $due }
# The intake form.
hotline-intake-heading = Take a call
hotline-intake-call = The call
hotline-intake-caller = The caller
hotline-intake-caller-hint = Kept confidential: only those who call back see it
hotline-intake-matter = The matter
hotline-intake-submit = Register the work order
hotline-caller-name = Caller's name
hotline-caller-phone = Caller's phone
hotline-caller-address = Caller's address
hotline-keep-private-ask = The caller asks for confidentiality (the reply is not published)
hotline-urgent-safety-ask = Urgent public-safety matter (accepted at once, the leaders told)
hotline-title = Title
hotline-title-hint = Left empty: the unit or place
hotline-content = What the caller said
# The order on the item page.
hotline-order = Hotline work order
hotline-line = Hotline
hotline-called-at = Time of the call
hotline-kind = Kind
hotline-channel = Channel
hotline-subject = Unit or place concerned
hotline-urgent-safety = Urgent public-safety matter
hotline-keep-private = Caller asked for confidentiality
hotline-platform-number = Platform order number
hotline-first-dispatcher = First dispatcher (calls back)
hotline-typical = Typical order
hotline-typical-since = Yes, marked { $at }
hotline-yes = Yes
hotline-no = No
hotline-misconduct-yes = Yes
hotline-misconduct-no = None
hotline-dispatch-clock = Dispatch clock
hotline-owed = The caller is owed a notice
hotline-history = The order's steps
hotline-callbacks = Call-backs
hotline-earlier-order = The earlier order
hotline-h-accepted = Accepted
hotline-h-accepted-urgent = Accepted at once as an urgent public-safety matter
hotline-h-refused-remit = Not accepted: outside our remit; the caller was referred to “{ $to }”
hotline-h-refused-legal = Not accepted: a legal channel applies ({ $channel })
hotline-h-refused-duplicate = Not accepted: the same matter was accepted already; to follow it: { $follow }
hotline-h-refused-contested = Not accepted: a reply given already, contested with no new facts
hotline-h-informed = The caller was told about { $about } ({ $method }, { $at })
hotline-h-returned = Returned by { $unit }, awaiting transfer
hotline-h-returned-upheld = Returned by { $unit }, transferred
hotline-h-returned-back = Returned by { $unit }, sent back to the same unit
hotline-h-transferred = Transferred from { $from } to { $to }
hotline-h-commitment = Committed deadline asked for, done by { $until }: { $outcome }
hotline-h-reopened = Reopened to { $unit }, due { $due }
hotline-commitment-request = Committed deadline asked for: done by { $until }
hotline-q-told = Was the caller told the result and its basis?
hotline-q-factual = Is the reply factual?
hotline-q-misconduct = Any misconduct by the handling unit?
hotline-q-satisfaction = Satisfaction
hotline-duplicates = Likely duplicates
hotline-duplicates-hint = Orders with the same caller phone, or a similar address and content; you decide whether it is the same matter
hotline-dup-same-phone = Same caller phone
hotline-dup-similar = Similar address and content
hotline-refuse-as-duplicate = Not accepted: already accepted
hotline-follow-up = How the caller follows the earlier order
hotline-dispatch = Dispatch
hotline-transfer = Transfer
hotline-act-accept = Accept
hotline-act-refuse = Do not accept
hotline-note = Note
hotline-refuse-why = Why it is not accepted
hotline-reason-outside_remit = Outside our remit
hotline-reason-legal_channel = A legal channel applies (litigation, arbitration, administrative review…)
hotline-reason-already_accepted = The same matter was accepted already
hotline-reason-contested_reply = A reply given already, contested with no new facts
hotline-refer-to = Where the caller should turn
hotline-legal-channel = Which legal channel
hotline-earlier-link = Link to the order accepted before
hotline-refuse-note = Explanation (required for a contested reply)
hotline-act-inform = Record telling the caller
hotline-inform-about = About
hotline-inform-method = How
hotline-inform-at = When
hotline-inform-note = What was said
hotline-act-return = Return the order
hotline-return-hint = An order that is not your unit's is returned to the hotline office within the time after dispatch, saying which unit it belongs to
hotline-return-reason = Why, and whose it is
hotline-act-request-commitment = Ask for a committed deadline
hotline-commit-until = Done by
hotline-act-decide-commitment = Decide the committed deadline
hotline-extension-once = A 12369 order is extended once only, by at most { $days } days, and the caller is told why
hotline-reply-template = Fill in the office's reply template, section by section
hotline-act-call-back = Call back
hotline-callback-note = What the caller said
hotline-act-reopen = Reopen
hotline-act-typical = Typical order
hotline-mark-typical = Mark as typical
hotline-unmark-typical = Unmark as typical
# What an act just did.
hotline-done-accept_order = Accepted
hotline-done-refuse_order = Not accepted: the decision is recorded
hotline-done-inform_caller = Telling the caller is recorded
hotline-done-return_order = Returned
hotline-done-request_commitment = Committed deadline asked for
hotline-done-decide_commitment = Committed deadline decided
hotline-done-call_back = Call-back recorded
hotline-done-reopen_order = Reopened
hotline-done-mark_typical = Typical mark updated
