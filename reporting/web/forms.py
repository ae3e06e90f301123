"""Forms (Flask-WTF: every form carries its CSRF token)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from reporting.access import ROLE_LABELS


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=1000)])
    confirm = PasswordField("New password again", validators=[DataRequired(), Length(max=1000)])


class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=list(ROLE_LABELS.items()))
    ico = SelectField(  # the view sets the choices: "none" and the ICOs
        "ICO (ICO submitters only)",
        choices=[],
        invalid_choice_message="Choose one of the ICOs listed (or none): the ICO sent is not one of them.",
    )
    state = StringField("State (state reviewers only)", validators=[Optional(), Length(max=2)])
    password = PasswordField("Initial password (12 characters or more)", validators=[DataRequired(), Length(max=1000)])


class IcoForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=20)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    programme = SelectField("Programme", choices=[], validate_choice=True)
    state = StringField("State (blank: the programme's)", validators=[Optional(), Length(min=2, max=2)])
    active_from = DateField("Active from", validators=[Optional()])
    active_to = DateField("Active to", validators=[Optional()])
    enabled = BooleanField("Enabled", default=True)
    recipients = TextAreaField("Report recipients (one e-mail per line)", validators=[Optional(), Length(max=5000)])

    def validate_active_to(self, field):
        if field.data and self.active_from.data and field.data < self.active_from.data:
            raise ValidationError(
                f"'Active to' ({field.data}) is before 'active from' ({self.active_from.data}): the ICO's last day "
                "cannot come before its first. Correct one of the dates, or leave 'active to' blank."
            )


class TokenForm(FlaskForm):
    user = SelectField(  # the view sets the choices: the active users
        "User",
        choices=[],
        invalid_choice_message="Choose one of the active users listed: the user sent is not one of them.",
    )
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)])


class ActionForm(FlaskForm):
    """A form with only the CSRF token: for buttons that change something."""


class UploadForm(FlaskForm):
    period = StringField("Period", validators=[DataRequired(), Length(max=7)])
    files = FileField("Package")
