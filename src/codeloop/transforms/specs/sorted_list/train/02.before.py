order = list(sorted(scores))
