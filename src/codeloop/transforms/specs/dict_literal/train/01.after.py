config = {}
config["debug"] = True
