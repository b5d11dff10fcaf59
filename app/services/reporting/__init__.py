"""Figures over the record: stats (`stats`), the charts' figures (`figures`), the dashboard's
data (`dashboard`), Atom feeds (`feeds`), CSV exports (`csv_export`), the data sets held
(`datasets`).

May import: `record`, `search`, `shared`, `compliance`, and `evidence.documents` (the counts
of the evidence the record cites, for the dashboard).
"""
