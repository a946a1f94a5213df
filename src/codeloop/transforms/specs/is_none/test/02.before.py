flags = [x != None for x in xs]
