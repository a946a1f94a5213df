msg = "Hello {}".format(name)
