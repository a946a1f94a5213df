text = "".join([c.upper() for c in word])
