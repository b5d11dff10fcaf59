"""What every feature uses: lookups and version checks (`common`), keyset pagination
(`pagination`), the planner's choices of SQL (`planner`), the audit log (`audit`), data kept
between changes of the record (`kept`).

May import: `app.models`, `app.errors`, `app.config`, `app.clock`, `app.vocab`. Nothing in
`app.services`.
"""
