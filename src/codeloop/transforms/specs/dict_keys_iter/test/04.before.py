keys = list(d.keys())
