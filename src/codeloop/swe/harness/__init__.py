"""SWE-bench's evaluation harness without Docker: predictions graded as the official harness
grades them.

    instances.py     instances and predictions as published; the eval script
    environments.py  an instance's environment: an OCI image (skopeo, umoci) or host-built (venv, node_modules)
    bwrap.py         the isolation: bubblewrap namespaces and a cgroup
    runner.py        ``codeloop swe evaluate``: checkout, environment, patch, tests, grading, reports
    grading.py       the log graded: swebench's own parsers when installed, else codeloop's reimplementation
    fixtures.py      four small repositories with instances (``codeloop swe fixtures``), from fixture_data/
"""
