same = a == b
