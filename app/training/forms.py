"""The launch-training form: candidates and draws (the rest of the configuration keeps its fast defaults)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from ml.models.supervised import CANDIDATES


class TrainForm(FlaskForm):
    candidates = SelectMultipleField(_l("Candidates"), choices=[SelectChoice(name, name) for name in CANDIDATES],
                                     default=["logistic_regression"], validators=[InputRequired()])
    n_draws = IntegerField(_l("Parameter draws per candidate"), default=2, validators=[NumberRange(1, 50)])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])

    def to_config(self) -> dict:
        """Return the training configuration the form asks for."""
        from app.training.service import FAST_CONFIG

        return {**FAST_CONFIG, "candidates": list(self.candidates.data), "n_draws": int(self.n_draws.data)}
