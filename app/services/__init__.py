"""The rules of the record, one package per feature.

Each package's docstring says what it owns and what it may import; imports point downward
(`shared` and `compliance` at the bottom, `demo` at the top), and no package reaches into
another's private (underscored) names.

- `compliance`: the compliance rules (status, overdue, compliance, standing), pure; schemas
  import it.
- `shared/`: what every feature uses (lookups and version checks, pagination, the planner,
  the audit log).
- `record/`: the record itself: decisions (reads and edits), recommendations, organisations,
  regulators, cases, chains, each party's record, duplicates and merges, suggestions.
- `readmodel/`: the stored read documents of decisions and their listings.
- `search/`: full-text search and the `q` filter of every list.
- `reporting/`: figures over the record: stats, charts' figures, feeds, CSV exports.
- `exchange/`: the whole record out and back in (JSON), backups, and `exchange/csv/`, the
  CSV importer with its mappings.
- `alerts/`: the outbox, subscriptions, the delivery worker, mail and account notices.
- `accounts/`: users, sign-up and resets, two-factor, API tokens, rate limits.
- `review/`: the review queue: machine readings an editor confirms or corrects, under claims,
  and readers' error reports.
- `hooks`: the session hooks keeping the read model and the alert outbox in step with every
  write, installed by whoever opens sessions (`create_app`, the command line, the tests), and
  the one call a bulk writer makes to note what it wrote past the ORM.
- `demo`: the demo record, made through the services above.
"""
