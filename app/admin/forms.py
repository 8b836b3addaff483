"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from app.models import ROLES


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"),
                       validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role, _l(role)) for role in ROLES],
                       validators=[DataRequired()])
    submit = SubmitField(_l("Create account"))


class ExportForm(FlaskForm):
    submit = SubmitField(_l("Export the audit log as CSV"))
