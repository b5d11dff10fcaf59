"""Accounts: users and browser sessions (`users`), sign-up and password resets (`signup`),
two-factor sign-in (`two_factor`), API tokens (`tokens`), rate limits (`ratelimit`).

May import: `alerts.notices` (the messages it sends), `shared`.
"""
