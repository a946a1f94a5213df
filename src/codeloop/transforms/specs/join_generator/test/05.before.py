path = "/".join(["a", "b"])
