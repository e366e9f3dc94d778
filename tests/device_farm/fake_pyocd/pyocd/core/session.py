from pyocd._fake import Session  # noqa: F401
