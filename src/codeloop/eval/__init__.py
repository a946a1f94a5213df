"""Evaluation: scoring sample files, and multi-turn runs of tasks x models x strategies.

    samples.py   ``codeloop evaluate``: a samples file judged, results appended, pass@k
    run_spec.py  ``RunSpec``: what defines an ``eval`` run (its flags and ``--config`` keys)
    run.py       ``codeloop eval``: episodes in flight, generation and execution overlapped, resumable
    store.py     the run's SQLite store (append-only: turns and episodes)
    summary.py   pass@k, n@k and intervals of a stored run
    report.py    ``codeloop report``: the run's HTML page (``assets/``)
    grid.py      ``codeloop grid``: strategies x feedback granularities
"""
