cache = {}
other = dict(a=1)
