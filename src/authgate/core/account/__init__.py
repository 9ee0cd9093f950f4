"""The account page's protocol side: its first-party client, its sign-in, and the user's
connected apps and sessions (docs/account.md)."""
