same = type(a) == type(b)
