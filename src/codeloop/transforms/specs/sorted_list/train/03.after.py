top = sorted(values, reverse=True)[:3]
