"""Secrets out of every message: database URLs and connection strings lose their passwords.

:func:`redact` is applied to every error the command line prints, to every log record of the
``workbench`` loggers (:class:`RedactingFilter`), to data-loading errors and to the parameters
shown on the index page. It knows three shapes of secret:

- URL user info: ``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``;
- libpq key/value strings: ``password=secret`` (also ``pwd=``, quoted values) -> ``password=***``;
- query parameters: ``?password=secret&...`` -> ``?password=***&...``.

Put no password in a parameter file at all: PostgreSQL reads ``PGPASSWORD`` and ``~/.pgpass``
itself, and ``data.password_env`` names an environment variable the loader takes the password from
(see ``docs/security.md``).
"""

from __future__ import annotations

import logging
import re

__all__ = ["MASK", "RedactingFilter", "install_log_redaction", "redact"]

MASK = "***"

# scheme://user:password@  (password up to the last @ before the host part)
_URL_USERINFO = re.compile(r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s'\"]*:)(?P<pw>[^\s'\"]*)(?P<at>@)")
# password=..., pwd=..., passwd=... in key/value strings and query strings
_KEYVALUE = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|pass)\s*=\s*)(?P<val>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s&;,)'\"]+)",
    re.IGNORECASE,
)


def redact(text: object) -> str:
    """``text`` (anything; ``str()`` is taken) with every password replaced by :data:`MASK`."""
    s = str(text)
    if "@" in s or "=" in s:
        s = _URL_USERINFO.sub(lambda m: m["pre"] + MASK + m["at"] if m["pw"] else m[0], s)
        s = _KEYVALUE.sub(lambda m: m["key"] + MASK, s)
    return s


class RedactingFilter(logging.Filter):
    """Logging filter: the formatted message (and exception text) of a record, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: A003
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001  (a bad format string: leave it to logging)
            return True
        clean = redact(msg)
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        if clean != msg or record.args:
            record.msg, record.args = clean, None
        return True


def install_log_redaction(logger_names: tuple[str, ...] = ("workbench", "")) -> None:
    """Add one :class:`RedactingFilter` to the named loggers and to the root's handlers."""
    for name in logger_names:
        lg = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in lg.filters):
            lg.addFilter(RedactingFilter())
        for h in lg.handlers:
            if not any(isinstance(f, RedactingFilter) for f in h.filters):
                h.addFilter(RedactingFilter())
