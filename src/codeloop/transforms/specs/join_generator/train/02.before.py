line = ", ".join([str(x) for x in values])
