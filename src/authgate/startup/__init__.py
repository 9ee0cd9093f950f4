"""Start-up checks and the messages of failures an operator can fix.

Every failure before the server serves, or before an admin command reaches its database, is
reported as one or two lines: what is wrong (naming the path, the option or variable the user
set, the database) and what to do. A traceback is shown only with ``authgate --debug`` or
``AUTHGATE_LOG_LEVEL=debug``. Nothing here is imported by the server's request path.
"""
