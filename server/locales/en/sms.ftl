# SMS: the short variables of the approved template (each at most 12 characters), and the
# administrators' banner when the gateway refuses our template or signature.
sms-kind-dispatched = Dispatch
sms-kind-approve = Approval
sms-kind-review = Review
sms-kind-duty = New duty
sms-kind-urged = Urging
sms-kind-escalated = Escalation
sms-kind-instructed = Instruction
sms-kind-returned = Returned
sms-kind-report-returned = Redo report
sms-kind-request-decided = Decision
sms-kind-revoked = Revoked
sms-kind-rated = Rating
sms-kind-accepted = Accepted
sms-kind-reply = Reply
sms-kind-report-requested = Report due
sms-kind-reminded = Reminder
sms-kind-urgent-order = Urgent order
sms-due-none = not set
sms-no-none = unnumbered
sms-refused-title = The SMS gateway refuses our template or signature
sms-refused-line = Refused since { $since }; texts for { $waiting } notifications are waiting and go out by themselves, hourly, once the template or signature is approved.
sms-refused-act = Check the review status of the template and the signature in the SMS console (see the error code), and apply again if needed as the deployment guide says.
