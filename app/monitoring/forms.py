"""Monitoring forms: the check button, acknowledging an alert, the thresholds, the audit-log filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, StringField, SubmitField
from wtforms.validators import NumberRange, Optional


class RunForm(FlaskForm):
    submit = SubmitField(_l("Run a check now"))


class AcknowledgeForm(FlaskForm):
    submit = SubmitField(_l("Acknowledge"))


class ThresholdsForm(FlaskForm):
    """Every trigger threshold; the defaults are documented in ml.monitoring.decisions."""

    persistence_windows = IntegerField(_l("Consecutive drifting windows"), validators=[NumberRange(1, 50)])
    drift_share = DecimalField(_l("Share of drifting features for dataset drift (empty: 0.5)"),
                               validators=[Optional(), NumberRange(0.01, 1)], places=None)
    f1_macro_drop = DecimalField(_l("Macro-F1 drop from the champion"), validators=[NumberRange(0, 1)], places=None)
    min_confirmed_cases = IntegerField(_l("Confirmed cases needed"), validators=[NumberRange(1, 10**6)])
    orphan_top_k = IntegerField(_l("Orphan top-k"), validators=[NumberRange(1, 100)])
    orphan_top_k_drop = DecimalField(_l("Orphan top-k drop"), validators=[NumberRange(0, 1)], places=None)
    min_orphan_cases = IntegerField(_l("Orphan cases needed"), validators=[NumberRange(1, 10**6)])
    max_unmapped_rate = DecimalField(_l("Largest unmapped-term rate"), validators=[NumberRange(0, 1)], places=None)
    min_entered_terms = IntegerField(_l("Entered terms needed"), validators=[NumberRange(1, 10**7)])
    submit = SubmitField(_l("Save the thresholds"))

    def values(self) -> dict:
        """Return the thresholds as plain numbers."""
        result = {}
        for name in ("persistence_windows", "min_confirmed_cases", "orphan_top_k", "min_orphan_cases",
                     "min_entered_terms"):
            result[name] = int(self[name].data)
        for name in ("drift_share", "f1_macro_drop", "orphan_top_k_drop", "max_unmapped_rate"):
            value = self[name].data
            result[name] = None if value is None else float(value)
        return result


class AuditFilterForm(FlaskForm):
    """The audit-log filters (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Actor"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
