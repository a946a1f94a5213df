"""A model working on a repository through SWE-agent's agent-computer interface (arXiv 2405.15793).

    aci.py       the interface: open, goto, scroll, find_file, search_*, create, edit, run, submit
    dialogue.py  one instance's dialogue: prompt, one command per reply, observations, a step budget
    solve.py     ``codeloop swe solve``: every instance, stored in a run, the patch graded by the harness
"""
