order = sorted(scores)
