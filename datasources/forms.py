from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from datasources.models import DataSource


class DataSourceForm(forms.ModelForm):
    """The link of a key result to a data source. The header's secret is write-only: the field is always
    empty when shown; left empty it keeps the stored one, and "remove" deletes it."""

    header_value = forms.CharField(
        label=_("Header value (secret)"),
        required=False,
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Such as “Bearer abc123”. Stored encrypted and never shown again; leave empty to keep it."
        ),
    )
    remove_header_value = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )

    class Meta:
        model = DataSource
        fields = ["format", "url", "path", "header_name", "enabled"]
        widgets = {
            "path": forms.TextInput(attrs={"placeholder": "data.members.active"}),
            "header_name": forms.TextInput(attrs={"placeholder": "Authorization", "autocomplete": "off"}),
        }
        help_texts = {
            "header_name": _("Optional: a header sent with every fetch, for sources that need a key.")
        }

    def header_value_to_save(self) -> str | None:
        """``None`` keeps the stored secret, ``""`` removes it (``datasources.services.data_source_save``)."""
        if self.cleaned_data.get("remove_header_value"):
            return ""
        return self.cleaned_data.get("header_value") or None
