"""Logout: RP-initiated (end_session) and back-channel notifications."""
