text = "{0} and {1}".format(a, b)
