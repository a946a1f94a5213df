raise ValueError("bad size {}".format(size))
