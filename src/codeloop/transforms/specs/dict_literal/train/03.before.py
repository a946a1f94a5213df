cache = dict()
other = dict(a=1)
