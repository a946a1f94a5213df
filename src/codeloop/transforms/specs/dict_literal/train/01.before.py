config = dict()
config["debug"] = True
