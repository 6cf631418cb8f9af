"""A plan as composable sections: one validated request, each section its own module."""

from __future__ import annotations

import pytest

from scaling_cli import ScaleError, plan
from scaling_cli.planning import planner
from scaling_cli.planning.request import DataLimit, Experts, InferenceDemand, PlanRequest


def test_the_keyword_api_and_the_request_give_the_same_plan():
    arguments = dict(gpus=512, price_per_gpu_hour=2.5, unique_tokens=2e11, inference_tokens=1e12, experts=8, tasks=["mmlu"])
    by_keywords = plan(1e23, **arguments)
    request = PlanRequest(
        flops=1e23,
        gpus=512,
        price_per_gpu_hour=2.5,
        data=DataLimit(unique_tokens=2e11),
        inference=InferenceDemand(tokens=1e12),
        experts=Experts(count=8),
        tasks=["mmlu"],
    )
    assert planner.plan_for(request).model_dump() == by_keywords.model_dump()
    assert planner.plan_for(PlanRequest.of(1e23, **arguments)).model_dump() == by_keywords.model_dump()


def test_each_section_adds_only_when_asked():
    bare = planner.plan_for(PlanRequest(flops=1e22))
    assert bare.unique_tokens is None and bare.inference_optimal is None and bare.run is None
    assert bare.moe is None and bare.tasks == []
    data_only = planner.plan_for(PlanRequest(flops=1e22, data=DataLimit(unique_tokens=5e10, synthetic_price=2.0)))
    assert data_only.law == "muennighoff"  # limited data picks the law fitted for repeats
    assert data_only.epochs == pytest.approx(data_only.tokens / 5e10)
    assert data_only.synthetic_cost == pytest.approx(data_only.data_gap_tokens / 1e6 * 2.0)
    assert data_only.inference_optimal is None and data_only.run is None


def test_the_sections_run_in_the_planner_order(monkeypatch):
    """A new section is one module and one line of SECTIONS: the planner calls each that the
    request asks for, in order, on one draft, and skips the others."""
    seen = []

    def marker(name):
        def section(draft, request):
            seen.append(name)
            draft.notes.append(f"section {name}")

        return section

    monkeypatch.setattr(planner, "SECTIONS", {"first": lambda r: True, "skipped": lambda r: False, "second": lambda r: True})
    monkeypatch.setattr(planner, "section_function", marker)
    result = planner.plan_for(PlanRequest(flops=1e22))
    assert seen == ["first", "second"]
    assert result.notes[-2:] == ["section first", "section second"]


def test_a_section_not_asked_for_is_not_even_imported():
    """`scale plan` without --gpus starts without the memory model (start-up at the stack's floor)."""
    import subprocess
    import sys

    code = (
        "import sys; from scaling_cli.planning.planner import plan_for; from scaling_cli.planning.request import PlanRequest; "
        "plan_for(PlanRequest(flops=1e22)); "
        "print(sorted(m for m in sys.modules if m.startswith(('scaling_cli.planning.sections', 'scaling_cli.hardware.memory'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "sections.run" not in loaded and "hardware.memory" not in loaded and "sections.experts" not in loaded
    assert "sections.costs" in loaded  # the one section every plan runs


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(flops=1e40), "flops"),
        (dict(flops=1e22, mfu=1.5), "mfu"),
        (dict(flops=1e22, gpus=True), "gpus"),
        (dict(flops=1e22, data=dict(unique_tokens=-1)), "unique_tokens"),
        (dict(flops=1e22, surprise=1), "surprise"),
    ],
)
def test_a_bad_request_is_one_line_naming_the_field(fields, message):
    with pytest.raises(ScaleError) as error:
        PlanRequest(**fields)
    assert "\n" not in str(error.value) and message in str(error.value)


def test_a_section_flag_without_its_section_is_refused():
    with pytest.raises(ScaleError, match="--synthetic-price needs --unique-tokens"):
        PlanRequest.of(1e22, synthetic_price=2.0)
    with pytest.raises(ScaleError, match="give --experts too"):
        PlanRequest.of(1e22, top_k=2)


def test_an_updated_request_is_validated_again():
    request = PlanRequest(flops=1e22)
    assert request.updated(flops=2e22).flops == 2e22
    with pytest.raises(ScaleError, match="flops"):
        request.updated(flops=1.0)
