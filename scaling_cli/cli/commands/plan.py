"""``scale plan``, ``scale overtrain`` and ``scale loss``: the planner's commands (``scale sweep``: sweep.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from ...core.compute import HOURS_PER_DAY, flops_from_gpu_hours
from ...core.errors import ScaleError
from ...planning import planner
from ..options import (
    DEFAULTS,
    CountedSeqOption,
    FormatOption,
    FrameworkOption,
    GpuOption,
    HparamsLawOption,
    JsonOption,
    MfuOption,
    PlanLawOption,
    PlotOption,
    PrecisionOption,
    check_format,
    choices,
    complete_tasks,
    count,
    fraction,
    non_negative,
    params_value,
    positive,
    positive_list,
    with_limits,
)
from ..output import check_plot, emit_json, say_plotted
from ..output import console as make_console


@with_limits
def plan(
    limits,
    flops: Annotated[
        float | None, typer.Option("--flops", parser=positive, help="Training budget in FLOPs (1e23, 5.76e23).", metavar="FLOPS")
    ] = None,
    gpu_hours: Annotated[
        float | None, typer.Option("--gpu-hours", parser=positive, help="Budget as GPU-hours on --gpu at --mfu.", metavar="HOURS")
    ] = None,
    days: Annotated[
        float | None, typer.Option("--days", parser=positive, help="Budget as wall-clock days on --gpus GPUs.", metavar="DAYS")
    ] = None,
    target_loss: Annotated[
        float | None,
        typer.Option("--target-loss", parser=positive, help="Instead of a budget: the least compute reaching this loss.", metavar="LOSS"),
    ] = None,
    gpus: Annotated[
        int | None, typer.Option("--gpus", parser=count, help="Number of GPUs: wall-clock days (or, with --days, the budget).", metavar="K")
    ] = None,
    price: Annotated[
        float | None, typer.Option("--price", parser=positive, help="US dollars per GPU-hour: adds the cost.", metavar="USD")
    ] = None,
    unique_tokens: Annotated[
        float | None,
        typer.Option(
            "--unique-tokens",
            parser=positive,
            help="Unique tokens available: plan repeated epochs (Muennighoff et al. 2023).",
            metavar="TOKENS",
        ),
    ] = None,
    inference_tokens: Annotated[
        float | None,
        typer.Option(
            "--inference-tokens",
            parser=non_negative,
            help="Lifetime inference tokens: add the model minimising training + serving compute (Sardana et al. 2024).",
            metavar="TOKENS",
        ),
    ] = None,
    inference_mfu: Annotated[
        float | None,
        typer.Option(
            "--inference-mfu",
            parser=fraction,
            help="Serving MFU, 0-1 (measure yours); default: each model's decoding roofline at --seq-token contexts, an upper bound.",
            metavar="FRACTION",
        ),
    ] = None,
    synthetic_price: Annotated[
        float | None,
        typer.Option(
            "--synthetic-price", parser=positive, help="USD per million generated tokens: price the missing unique data.", metavar="USD"
        ),
    ] = None,
    seq: Annotated[
        int,
        typer.Option(
            "--seq",
            parser=count,
            help="Tokens per sequence: of the run section (with --gpus) and of served contexts (with --inference-tokens).",
            metavar="T",
        ),
    ] = 4096,
    hparams_law: HparamsLawOption = None,
    framework: FrameworkOption = "megatron",
    experts: Annotated[
        int | None,
        typer.Option(
            "--experts",
            parser=count,
            help="Plan a mixture of experts: the plan's N is the active size; adds total parameters and the effective dense size (Clark et al. 2022).",
            metavar="E",
        ),
    ] = None,
    router: Annotated[
        str,
        typer.Option(
            "--router",
            help="With --experts: the router whose law gives the effective size (s-base, rl-r, hash).",
            autocompletion=choices("s-base", "rl-r", "hash"),
        ),
    ] = "s-base",
    top_k: Annotated[
        int,
        typer.Option(
            "--experts-per-token",
            "--top-k",
            parser=count,
            help="With --experts: experts each token is routed to (--top-k: the old name).",
            metavar="K",
        ),
    ] = 1,
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task",
            help="Add the predicted score on a benchmark (mmlu, hellaswag, arc-challenge, ..., gadre-avg17); repeatable.",
            metavar="TASK",
            autocompletion=complete_tasks,
        ),
    ] = None,
    plot: PlotOption = None,
    law: PlanLawOption = None,
    gpu: GpuOption = DEFAULTS["gpu"],
    mfu: MfuOption = DEFAULTS["mfu"],
    precision: PrecisionOption = "bf16",
    format: FormatOption = "text",
    json: JsonOption = False,
) -> None:
    """The compute-optimal model size and tokens for a budget, its loss and cost.

    Also the same budget spent on smaller and larger models, and, on request, limited unique
    data, an inference demand, a target loss, and a run section (--gpus)."""
    check_plot(plot)
    check_format(format, json)
    budget = _budget_flops(flops, gpu_hours, days, gpus, gpu, mfu, target_loss, precision)
    chosen = planner.resolve_law(law, unique_tokens)
    from ...planning.request import PlanRequest

    if framework not in ("megatron", "pytorch"):
        raise ScaleError(f"--framework: expected megatron or pytorch, got {framework!r}")
    request = PlanRequest.of(
        budget,
        law=chosen,
        gpu=gpu,
        mfu=mfu,
        gpus=gpus,
        price_per_gpu_hour=price,
        target_loss=target_loss,
        time_budget=flops is None and target_loss is None,
        unique_tokens=unique_tokens,
        inference_tokens=inference_tokens,
        inference_mfu=inference_mfu,
        synthetic_price=synthetic_price,
        seq=seq,
        framework=framework,
        hparams_law=hparams_law,
        experts=experts,
        router=router,
        top_k=top_k,
        tasks=task,
        precision=precision,
    )
    result = planner.plan_for(request)
    checks = []
    if limits is not None:
        from ...planning.limit_values import plan_values
        from .check import limit_checks

        checks = limit_checks(limits, [plan_values(result)])
    if plot is not None:
        from ...plots.figures import plot_plan

        say_plotted(plot_plan(result, chosen, plot), plot)
    if json:
        emit_json(result.model_dump() | ({"ok": all(c.ok for c in checks), "checks": checks} if checks else {}))
    elif format == "markdown":
        from ..render.markdown import plan_markdown
        from .check import markdown_checks

        typer.echo(plan_markdown(result) + markdown_checks(checks))
    else:
        from ..render.plan import render_plan

        console = make_console()
        render_plan(console, result, chosen)
        _render_checks(console, checks)
    _exit_on_failure(checks)


def _render_checks(console, checks) -> None:
    if checks:
        from .check import render_checks

        render_checks(console, checks)


def _exit_on_failure(checks) -> None:
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


def _budget_flops(flops, gpu_hours, days, gpus, gpu, mfu, target_loss=None, precision="bf16") -> float | None:
    forms = (("--flops", flops), ("--gpu-hours", gpu_hours), ("--days", days), ("--target-loss", target_loss))
    given = [name for name, value in forms if value is not None]
    if len(given) != 1:
        found = f" (got {' and '.join(given)})" if given else ""
        raise ScaleError(f"give exactly one budget: --flops, --gpu-hours, --gpus with --days, or --target-loss{found}")
    from ...core.validation import FLOPS_RANGE

    if target_loss is not None:
        return None
    if flops is not None:
        flag = "--flops"
    else:
        flag = "--gpu-hours"
        if days is not None:
            if gpus is None:
                raise ScaleError("--days needs --gpus: the budget is GPUs x days")
            gpu_hours, flag = gpus * days * HOURS_PER_DAY, "--gpus x --days"
        flops = flops_from_gpu_hours(gpu_hours, planner.resolve_gpu(gpu).at_precision(precision).peak_flops, mfu)
    low, high = FLOPS_RANGE
    if not low <= flops <= high:
        raise ScaleError(f"{flag}: a budget of {flops:.3g} FLOPs is outside the {low:.0e} to {high:.0e} FLOPs the planner covers")
    return flops


@with_limits
def overtrain(
    limits,
    params: Annotated[float, typer.Option("--params", parser=params_value, help="Model size in parameters (7e9, 7B).", metavar="PARAMS")],
    ratios: Annotated[
        str | None, typer.Option("--ratios", help="Tokens per parameter, comma-separated (default 20,50,100,200,500,1000).", metavar="LIST")
    ] = None,
    tokens: Annotated[
        str | None, typer.Option("--tokens", help="Token counts instead of ratios, comma-separated (1T,2T).", metavar="LIST")
    ] = None,
    target_loss: Annotated[
        float | None, typer.Option("--target-loss", parser=positive, help="Add the row that reaches this loss.", metavar="LOSS")
    ] = None,
    unique_tokens: Annotated[
        float | None,
        typer.Option("--unique-tokens", parser=positive, help="Unique tokens available: tokens beyond them are repeats.", metavar="TOKENS"),
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option(
            "--gpus", parser=count, help="GPUs of the run: wall-clock days of each row (and --max-days, --max-memory-per-gpu).", metavar="K"
        ),
    ] = None,
    price: Annotated[
        float | None,
        typer.Option("--price", parser=positive, help="US dollars per GPU-hour: the cost of each row (and --max-cost).", metavar="USD"),
    ] = None,
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task",
            help="Add the predicted score on a benchmark (mmlu, hellaswag, arc-challenge, ..., gadre-avg17); repeatable.",
            metavar="TASK",
            autocompletion=complete_tasks,
        ),
    ] = None,
    plot: PlotOption = None,
    law: PlanLawOption = None,
    gpu: GpuOption = DEFAULTS["gpu"],
    mfu: MfuOption = DEFAULTS["mfu"],
    precision: PrecisionOption = "bf16",
    seq: CountedSeqOption = 4096,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """A fixed model size trained on more tokens (LLaMA-style), against compute-optimal.

    Each row: the loss, the extra training compute against the compute-optimal model of equal
    loss, and the inference tokens after which the smaller model repays it."""
    check_format(format, json)
    if ratios is not None and tokens is not None:
        raise ScaleError("give --ratios or --tokens, not both")
    check_plot(plot)
    from ...planning.overtraining import overtrain as overtrain_model

    chosen = planner.resolve_law(law, unique_tokens)
    result = overtrain_model(
        params,
        law=chosen,
        tokens_per_param=None if ratios is None else positive_list(ratios, "--ratios"),
        tokens=None if tokens is None else positive_list(tokens, "--tokens"),
        target_loss=target_loss,
        gpu=gpu,
        mfu=mfu,
        unique_tokens=unique_tokens,
        gpus=gpus,
        price_per_gpu_hour=price,
        tasks=task,
        precision=precision,
        seq=seq,
    )
    checks = []
    if limits is not None:
        from ...planning.limit_values import row_values
        from .check import limit_checks

        memory = None
        if gpus is not None and limits.max_memory_per_gpu is not None:
            from ...planning.sections.run import run_plan

            memory = run_plan(params, result.rows[0].flops, planner.resolve_gpu(gpu), gpus).memory.total_bytes
        checks = limit_checks(limits, [row_values(row, gpus, price, memory) for row in result.rows])
    if plot is not None:
        from ...plots.figures import plot_overtrain

        say_plotted(plot_overtrain(result, chosen, plot), plot)
    if json:
        emit_json(result.model_dump() | ({"ok": all(c.ok for c in checks), "checks": checks} if checks else {}))
    else:
        from ..render.plan import render_overtrain

        console = make_console()
        render_overtrain(console, result, chosen)
        _render_checks(console, checks)
    _exit_on_failure(checks)


def loss(
    params: Annotated[float, typer.Option("--params", parser=params_value, help="Model size in parameters.", metavar="PARAMS")],
    tokens: Annotated[float, typer.Option("--tokens", parser=positive, help="Training tokens.", metavar="TOKENS")],
    law: Annotated[
        list[str] | None, typer.Option("--law", help="Only these laws (repeatable; presets or .toml paths).", metavar="LAW")
    ] = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """The predicted loss of a model size and token count under every law that has a loss form."""
    check_format(format, json)
    laws = None if not law else [planner.resolve_law(name) for name in law]
    from ...laws import load_presets

    laws = laws or load_presets()
    losses = planner.loss_table(params, tokens, laws=laws)
    warnings = planner.loss_warnings(params, tokens, laws)
    if json:
        emit_json(losses | {"warnings": warnings})
    else:
        from ..render.plan import render_losses

        render_losses(make_console(), params, tokens, losses, laws, warnings)
