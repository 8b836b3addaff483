"""dxflow's data and ML pipeline, pure: pandas, NumPy, SciPy and the standard library over files and frames.

The rule: nothing under ``ml`` imports flask (or any ``flask_*`` extension), sqlalchemy, rq, ``app`` or
``worker``. Dependencies run one way, ``worker → app → ml``; ``tests/ml/test_layers.py`` enforces it.
"""
