"""The planner as an HTTP service (FastAPI + uvicorn): ``optimizer serve``.

>>> from optimizer.service import Settings, create_app
>>> app = create_app(Settings(max_solve_seconds=30))   # doctest: +SKIP
"""

from optimizer.service.app import create_app
from optimizer.service.settings import Settings

__all__ = ["Settings", "create_app"]
