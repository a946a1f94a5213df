"""SWE-bench-format repository tasks without Docker (arXiv 2310.06770, 2410.03859).

    harness/  SWE-bench's evaluation harness: instances, environments, the isolation, grading
    agent/    a model working on a repository through SWE-agent's interface (arXiv 2405.15793)
"""
