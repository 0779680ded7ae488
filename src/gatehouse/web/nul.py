"""NUL characters in requests: in no name, ID, address or template, and refused by PostgreSQL
in text, so a request carrying one is a bad request. The middleware in app.py refuses them in
the URL and in form and JSON bodies; a multipart form (a template's file upload) is checked
here field by field instead, so a file's content is judged by its handler (a UTF-16 file is
"not UTF-8 text" on the page that took it, not a bare 400)."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

NUL_REFUSED = "NUL characters are not allowed."


def form_holds_nul(form: FormData) -> bool:
    """Whether a field name, a text value or an uploaded file's name holds a NUL (the files'
    contents are their handlers' to judge)."""
    for name, value in form.multi_items():
        text = (value.filename or "") if isinstance(value, UploadFile) else value
        if "\x00" in name or "\x00" in text:
            return True
    return False
