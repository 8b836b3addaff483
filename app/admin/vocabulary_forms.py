"""Forms of the vocabulary review page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from app.vocabulary.service import VocabularyError, resolve_target


class MapTermForm(FlaskForm):
    """Map one queued text to an id the admin chose or typed, checked against the knowledge base."""

    target = StringField(_l("Id"), validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Map"))

    def __init__(self, *args, kind: str = "symptom", **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.resolved_id: str | None = None

    def validate_target(self, field) -> None:
        try:
            self.resolved_id = resolve_target(self.kind, field.data.strip())
        except VocabularyError as error:
            raise ValidationError(str(error)) from error


class IgnoreTermForm(FlaskForm):
    submit = SubmitField(_l("Ignore"))
