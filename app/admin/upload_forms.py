"""Forms for uploads and source profiles."""

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


class UploadForm(FlaskForm):
    source = StringField(_l("Source"), validators=[DataRequired(), Length(max=100)],
                         description=_l("Where the data comes from, e.g. “Hospital La Paz — records 2024”."))
    profile = SelectField(_l("Source profile"), validators=[DataRequired()])
    files = MultipleFileField(_l("Files (CSV, JSON, JSON Lines, XLSX, text notes)"))
    quarantine = BooleanField(_l("Quarantine failing rows instead of refusing the whole file"))
    submit = SubmitField(_l("Upload and ingest"))

    def validate_files(self, field):
        if not [f for f in field.data or [] if getattr(f, "filename", "")]:
            raise ValidationError(_l("Choose at least one file."))


class ProposeProfileForm(FlaskForm):
    name = StringField(_l("Name of the new profile"), validators=[DataRequired(), Length(max=100)])
    sample = FileField(_l("A sample file from the new source"), validators=[FileRequired()])
    submit = SubmitField(_l("Propose a profile"))


class ProfileForm(FlaskForm):
    profile_json = TextAreaField(_l("Profile (JSON)"), validators=[DataRequired(), Length(max=100_000)])
    submit = SubmitField(_l("Save profile"))

    def validate_profile_json(self, field):
        try:
            value = json.loads(field.data)
        except ValueError as error:
            raise ValidationError(_l("This is not valid JSON: %(error)s", error=str(error))) from error
        if not isinstance(value, dict):
            raise ValidationError(_l("A profile is a JSON object."))
        self.parsed = value


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete this upload and everything it loaded"))
