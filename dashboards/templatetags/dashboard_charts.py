from django import template

from dashboards.charts import weekly_bars

register = template.Library()


@register.simple_tag
def weekly_chart(rates, mondays):
    """``{% weekly_chart rates mondays %}``: a team's weekly check-in bars (``charts.weekly_bars``)."""
    return weekly_bars(rates, mondays)
