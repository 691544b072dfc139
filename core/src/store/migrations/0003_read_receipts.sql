-- Read receipts (issue 6): a notification read on the phone is told to the server once, so
-- that the server's inbox agrees and the notification stops climbing to push and SMS.
ALTER TABLE notifications ADD COLUMN receipt_sent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notifications_receipts ON notifications (receipt_sent, read_at);
