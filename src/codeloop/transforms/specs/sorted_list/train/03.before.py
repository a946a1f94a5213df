top = sorted(list(values), reverse=True)[:3]
