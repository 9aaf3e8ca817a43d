"""Sending to people: one module per channel (console, Twilio SMS, SendGrid
e-mail, FCM push) and `enabled` choosing them from the settings. Reminders
(the outbox in reminders/service.py) and account mail (auth/mail.py) both
send through here; this package knows nothing of either."""
