"""The adherence report: one or two PDF pages a clinician can look at,
built from the same adherence service as the GraphQL `adherence` field
(docs/reports.md)."""
