line = "{}: {}".format(key, value)
