print("{} + {} = {}".format(a, b, total))
