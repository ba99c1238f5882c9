"""The dashboard filter's selects are built in one pass (hundreds of teams): the same markup as Django's."""

from __future__ import annotations

import re

from django import forms

from dashboards.forms import PlainSelect


class _Form(forms.Form):
    scope = forms.ChoiceField(
        label="Scope",
        required=False,
        choices=[("", "Whole organisation"), ("kurs", "Kurs <b>&</b>"), ("karriere", "\u2003Karriere")],
    )
    cycle = forms.TypedChoiceField(label="Cycle", coerce=int, required=False, choices=[(1, "Q1"), (2, "Q2")])


class _PlainForm(_Form):
    scope = forms.ChoiceField(label="Scope", required=False, widget=PlainSelect)
    cycle = forms.TypedChoiceField(label="Cycle", coerce=int, required=False, widget=PlainSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = _Form.base_fields["scope"].choices
        self.fields["cycle"].choices = _Form.base_fields["cycle"].choices


def _normalised(html: str) -> str:
    # Django's templates put blank lines between options and order attributes differently.
    html = re.sub(r"\s*\n\s*", "", str(html))
    return re.sub(
        r"<select ([^>]*)>", lambda m: "<select " + " ".join(sorted(m.group(1).split())) + ">", html
    )


def test_it_renders_what_djangos_select_renders():
    for data in ({"scope": "kurs", "cycle": 2}, {}, {"scope": "nope", "cycle": "x"}):
        django_form, plain_form = _Form(data), _PlainForm(data)
        django_form.is_valid(), plain_form.is_valid()
        for name in ("scope", "cycle"):
            assert _normalised(plain_form[name]) == _normalised(django_form[name])


def test_it_escapes_labels_and_marks_the_choice_and_errors():
    form = _PlainForm({"scope": "kurs"})
    html = str(form["scope"])
    assert '<option value="kurs" selected>Kurs &lt;b&gt;&amp;&lt;/b&gt;</option>' in html
    form = _PlainForm({"scope": "nope"})
    form.is_valid()
    assert 'aria-invalid="true"' in str(form["scope"])
