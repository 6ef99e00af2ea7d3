"""The CA's rules as pure decisions on typed values: notices, the notice's year, issue,
renewal window, reissue, revocation and reminders (CT-01..CT-08). No I/O, no X.509 here."""
