names = sorted(list(people))
