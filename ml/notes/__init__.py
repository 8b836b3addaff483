"""The note reader: coded findings (present, absent, uncertain) in English and Spanish free text."""

from ml.notes.reader import Finding, NoteReader, reader_for

__all__ = ["Finding", "NoteReader", "reader_for"]
