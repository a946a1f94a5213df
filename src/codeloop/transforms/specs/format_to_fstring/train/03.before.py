path = "{}/{}".format(root, leaf)  # join
