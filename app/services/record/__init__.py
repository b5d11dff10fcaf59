"""The record: decisions (reads in `decisions`, writes in `decision_edits`), recommendations
and their assessments, organisations, regulators, cases, appeal chains, each party's record
(`party_records`), penalties' payment obligations and what was paid (`payments`), suspected
duplicates and merges, and choosing a record by typing (`suggest`).

May import: `shared`, `compliance`, `search.query` (the `q` filter), `readmodel` (the stored
documents a read serves). Not `reporting`, `exchange`, `alerts`, `accounts`.
"""
