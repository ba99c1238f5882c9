"""The README's progress rules state the thresholds the code uses (objectives/progress.py, quality.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from objectives import progress, quality

README = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    start = README.index(heading)
    return README[start : README.index("\n## ", start + 1)]


RULES = _section("## Progress rules")


def test_the_kinds_table_names_every_kind():
    for kind in progress.KINDS:
        assert f"`{kind}`" in RULES


def test_the_health_thresholds_are_the_code_s():
    gaps = (progress.AT_RISK_GAP, progress.OFF_TRACK_GAP)
    confidences = (progress.OFF_TRACK_CONFIDENCE, progress.AT_RISK_CONFIDENCE)
    assert f"gap > {gaps[1]:.2f}, or confidence ≤ {confidences[0]}" in RULES
    assert f"gap > {gaps[0]:.2f}, or confidence {confidences[0] + 1}–{confidences[1]}" in RULES
    assert f"more than {round(progress.ACHIEVE_LATE_ELAPSED * 100)} % of the cycle is gone" in RULES
    assert "off track when the value does not hold the line" in RULES


def test_the_needs_attention_rules_are_the_code_s():
    assert f"no check-in for {progress.STALE_DAYS} days or more" in RULES
    assert progress.BACK_LOADED_ELAPSED == 0.5 and "more than half the cycle is gone" in RULES
    assert progress.BACK_LOADED_PACE == 0.25 and "under a quarter of the expected progress" in RULES
    assert f"confidence is {progress.BACK_LOADED_CONFIDENCE} or higher" in RULES
    assert "never back-loaded" in RULES


def test_the_coach_s_planned_hockey_stick_is_the_code_s():
    assert progress.HOCKEY_STICK_ELAPSED == 0.75 and progress.HOCKEY_STICK_SHARE == 0.5
    assert "more than half of the progress to the\nlast quarter of the cycle" in RULES
    assert f"years\n{quality.YEARS[0]}–{quality.YEARS[1]}" in RULES


def test_the_chart_section_mentions_the_planned_path_and_the_line_to_hold():
    assert "**planned path**" in RULES and "**line to hold**" in RULES
