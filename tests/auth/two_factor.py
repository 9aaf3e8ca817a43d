"""Enrolling in two-factor authentication: the documents."""

ENROLL = "mutation { enrollTwoFactor { secret otpauthUri errors { code field message } } }"
CONFIRM = """
mutation Confirm($code: String!) {
  confirmTwoFactor(code: $code) { recoveryCodes errors { code field message } }
}"""
