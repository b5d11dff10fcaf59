"""What every feature uses: lookups and version checks (`common`), keyset pagination
(`pagination`), the planner's choices of SQL (`planner`), the audit log (`audit`).

May import: `app.models`, `app.errors`, `app.config`, `app.vocab`. Nothing in `app.services`.
"""
