"""The note reader: coded findings (present, absent, uncertain) in English and Spanish free text."""

from ml.notes.reader import Finding, NoteReader

__all__ = ["Finding", "NoteReader"]
