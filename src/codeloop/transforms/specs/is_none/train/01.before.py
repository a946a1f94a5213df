if value == None:
    value = 0
