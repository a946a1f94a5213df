label = "{}".format(item.name())
