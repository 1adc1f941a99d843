"""The solver flags are declared once and give the same SolveOptions as the service's
request options for the same settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optimizer.cli import main as cli_main
from optimizer.cli.options import solve_options
from optimizer.service.models import Options
from optimizer.solver.options import SolveOptions

from conftest import TOY


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"objective": "profit", "time_limit": 5.0, "mip_gap": 1e-3, "marginals": False},
        {"objective": "cost", "time_limit": 0.0, "mip_gap": 0.0, "strategy": "milp"},
    ],
)
def test_cli_and_service_make_the_same_solve_options(settings: dict[str, Any]) -> None:
    server_cap = 60.0  # above every time_limit here: the request's own applies
    from_service = Options.model_validate(settings).solve_options(server_cap)
    from_cli = solve_options(**settings)
    expected = SolveOptions(**{"time_limit": server_cap, **settings})
    assert from_service == expected
    assert from_cli == expected.but(time_limit=settings.get("time_limit"))


def test_the_server_cap_bounds_a_request_time_limit() -> None:
    assert Options(time_limit=600.0).solve_options(60.0).time_limit == 60.0
    assert Options(time_limit=0.0).solve_options(60.0).time_limit == 0.0  # >= 0, as the library
    with pytest.raises(ValueError, match="time_limit"):
        Options.model_validate({"time_limit": -1.0})


def test_solve_flags_reach_the_solver_as_one_options_object(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`optimizer solve` hands the library exactly the SolveOptions its flags say."""
    import optimizer.planning.planner as planner_module

    seen: list[SolveOptions] = []
    real = planner_module.solve

    def spy(instance: Any, options: SolveOptions | None = None, **kw: Any) -> Any:
        seen.append(options)  # type: ignore[arg-type]
        return real(instance, options, **kw)

    monkeypatch.setattr(planner_module, "solve", spy)
    args = ["solve", str(TOY), "--no-write", "--quiet", "--time-limit", "30"]
    args += ["--mip-gap", "0.001", "--strategy", "milp", "--objective", "profit"]
    result = CliRunner().invoke(cli_main.app, args)
    assert result.exit_code == 0, result.output
    assert seen == [
        SolveOptions(objective="profit", time_limit=30.0, mip_gap=0.001, strategy="milp")
    ]


def test_time_limit_help_names_its_scope() -> None:
    runner = CliRunner()
    helps = {
        cmd: runner.invoke(cli_main.app, [cmd, "--help"], env={"COLUMNS": "200"}).output
        for cmd in ("solve", "sweep", "compare", "sensitivity", "stochastic")
    }
    assert "Seconds for the whole solve" in helps["solve"]
    for cmd in ("sweep", "compare", "sensitivity"):
        assert "Seconds for EACH solve" in helps[cmd], cmd
    assert "Seconds for all the solving of the run" in helps["stochastic"]
