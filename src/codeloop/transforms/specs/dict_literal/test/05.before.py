table = {}
pairs = dict([(1, 2)])
