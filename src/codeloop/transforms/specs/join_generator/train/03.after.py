out = sep.join(name for name in names if name)
