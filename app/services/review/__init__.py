"""The review queue: machine readings of compliance (assessments `classified` from a reply's
words) awaiting an editor, who confirms each (it counts from then on) or corrects it (a new
`entered` assessment supersedes it; history keeps both). An editor works on one item at a time,
under a claim with a lease (`claims`): two editors never hold the same item, and a review of an
item someone else holds is refused naming them. What the queue holds and how far its review has
come (`queue`); the reviews themselves, each audited (`actions`). Readers' error reports land
in the same queue, and an editor accepts or declines each (`reports`).

May import: `shared`, `compliance`, `record` (the history of a recommendation),
`accounts.ratelimit` (the reports' limits), `alerts.notices` (the reporter's e-mail). Not
`reporting`, `exchange`.
"""
