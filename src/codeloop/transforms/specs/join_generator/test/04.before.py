text = "".join(chars)
