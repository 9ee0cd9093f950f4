"""The account page at ``/account`` and the guard its sub-pages share (docs/account.md)."""
