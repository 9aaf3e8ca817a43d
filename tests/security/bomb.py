"""A costly document: every patient's doses over three months, with their
reminders and drugs (the cost limit refuses it at a large page)."""

BOMB = """
query Bomb($first: Int, $from: DateTime!, $to: DateTime!) {
  patients(first: $first) { edges { node {
    doses(from: $from, to: $to) {
      id reminders { status } prescription { id drug { name } }
    }
  } } }
}
"""
WINDOW = {"from": "2026-01-01T00:00:00Z", "to": "2026-04-04T00:00:00Z"}
